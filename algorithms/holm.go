package algorithms

import "sort"

// HolmAdjust returns Holm's step-down adjusted p-values of p, in p's order: with the m p-values sorted
// ascending, p₍ᵢ₎ becomes max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎) (i, j from 1). Rejecting each
// hypothesis whose adjusted p-value is below α keeps the family-wise error rate at α under any dependence
// between the tests, and is uniformly more powerful than Bonferroni. statsmodels' multipletests(p,
// method='holm') computes the same (scripts/measure_reference.py checks it). Ties keep their input order,
// which does not change the result.
func HolmAdjust(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		adj := min(1, float64(m-rank)*p[i])
		running = max(running, adj)
		out[i] = running
	}
	return out
}
