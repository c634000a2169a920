package algorithms

import "math"

// SRMAlpha is the p-value below which a holdout's realised share is a sample ratio mismatch: at 0.001 a
// correct assignment raises a false alarm once in a thousand runs, while a real mismatch (a broken
// assignment, a filter that treats the groups differently) on a sizeable audience gives p-values far
// smaller.
const SRMAlpha = 0.001

// SampleRatioMismatch is Pearson's chi-square goodness-of-fit test of a two-group split against the
// declared share of the first group: the statistic, with 1 degree of freedom, and its p-value, the
// chi-square distribution's survival function, which for one degree of freedom is erfc(sqrt(x/2)). It
// returns (0, 1) when there is nothing to test (no entities, or a share of 0 or 1).
func SampleRatioMismatch(first, second int64, share float64) (chi2, p float64) {
	n := float64(first + second)
	if n == 0 || share <= 0 || share >= 1 {
		return 0, 1
	}
	e1, e2 := n*share, n*(1-share)
	d1, d2 := float64(first)-e1, float64(second)-e2
	chi2 = d1*d1/e1 + d2*d2/e2
	return chi2, math.Erfc(math.Sqrt(chi2 / 2))
}
