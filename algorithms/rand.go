package algorithms

import "math/rand/v2"

// seedStream is PCG's second seed word. It is fixed so that a spec's Seed alone decides every draw; changing
// it would change every seeded result, so it never changes.
const seedStream = 0x5e9a11c0ffee5eed

// newSeededRand returns the generator a fit draws all its random choices from, in a fixed order, so that the
// same seed and input give the same result. scikit-learn's Mersenne Twister cannot be reproduced here, so
// seeded results agree with scikit-learn in distribution, not draw for draw.
func newSeededRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedStream))
}
