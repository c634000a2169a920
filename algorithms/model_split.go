package algorithms

import "hash/fnv"

// Splitting a model's rows into training and test parts by entity, seeded. An entity is in the test part
// when
//
//	splitmix64(fnv1a64(entity) XOR seed) < test · 2⁶⁴
//
// where entity is the entity's value as text (an integer in decimal). The hash of the entity alone
// decides, so an entity stays on its side when rows are added, removed or reordered, and the split is the
// same on every machine and in any other language (the golden script recomputes it); the test part's size
// is test · n only on average.

// InTestPart says whether entity falls in the test part for seed and test share.
func InTestPart(entity string, seed uint64, test float64) bool {
	h := fnv.New64a()
	h.Write([]byte(entity))
	u := splitmix64(h.Sum64() ^ seed)
	return float64(u>>11)/(1<<53) < test
}

// splitmix64 is SplitMix64's finaliser, which spreads FNV's low-entropy differences over every bit.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
