package algorithms

import "math/rand/v2"

// seededRowSample returns m distinct row indices out of 0..n-1, in increasing order, chosen uniformly by a
// generator seeded with seed: equal arguments give the same sample on every run and platform. Keeping the
// rows in their original order means a method fitted on the sample visits them in the order it would visit
// the full input. When m >= n it returns every row.
//
// It uses selection sampling (Knuth, TAOCP vol. 2, Algorithm S): one pass, no index array of size n.
func seededRowSample(n, m int, seed uint64) []int {
	if m >= n {
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		return all
	}
	if m <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed5a3b1e))
	out := make([]int, 0, m)
	for i := 0; i < n && len(out) < m; i++ {
		// Row i is taken with probability (still needed) / (still available).
		if rng.IntN(n-i) < m-len(out) {
			out = append(out, i)
		}
	}
	return out
}

// gatherRows copies the given rows of X into a new matrix, in the order given.
func gatherRows(X *Matrix, rows []int) *Matrix {
	out := NewMatrix(len(rows), X.Cols)
	for i, r := range rows {
		copy(out.Row(i), X.Row(r))
	}
	return out
}
