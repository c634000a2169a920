package algorithms

import (
	"math"
	"testing"
)

// Summarize's edge cases, against numpy's answers (np.mean, np.quantile linear, np.std ddof=1).
func TestSummarizeEdgeCases(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name   string
		values []float64
		want   Summary
	}{
		{"none", nil, Summary{N: 0, Mean: nan, Median: nan, P10: nan, P90: nan, SD: nan}},
		{"one", []float64{7}, Summary{N: 1, Mean: 7, Median: 7, P10: 7, P90: 7, SD: nan}},
		{"two", []float64{4, 2}, Summary{N: 2, Mean: 3, Median: 3, P10: 2.2, P90: 3.8, SD: math.Sqrt2}},
		// Ties, which a selection has to get past: np.quantile([1,1,1,1,5], [.1,.5,.9]) = [1, 1, 3.4].
		{"ties", []float64{1, 5, 1, 1, 1}, Summary{N: 5, Mean: 1.8, Median: 1, P10: 1, P90: 3.4, SD: math.Sqrt(3.2)}},
	} {
		got := Summarize(append([]float64(nil), c.values...))
		if got.N != c.want.N {
			t.Errorf("%s: N %d, want %d", c.name, got.N, c.want.N)
		}
		for _, s := range []struct {
			name      string
			got, want float64
		}{{"mean", got.Mean, c.want.Mean}, {"median", got.Median, c.want.Median}, {"p10", got.P10, c.want.P10}, {"p90", got.P90, c.want.P90}, {"sd", got.SD, c.want.SD}} {
			if math.IsNaN(s.want) != math.IsNaN(s.got) || (!math.IsNaN(s.want) && math.Abs(s.got-s.want) > 1e-12*math.Max(1, math.Abs(s.want))) {
				t.Errorf("%s: %s %v, want %v", c.name, s.name, s.got, s.want)
			}
		}
	}
}
