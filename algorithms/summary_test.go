package algorithms

import (
	"math"
	"math/rand/v2"
	"slices"
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

// The banded selection gives exactly the sorted definition's quantiles, on data that stress its sample:
// ties (a band that is one repeated value), sorted and reversed input, a few extreme values, infinities,
// sizes either side of bandedMin; and with bands narrowed to nothing, where it must fall back.
func TestQuantilesBandedExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(i int) float64{
		"normal":   func(int) float64 { return rng.NormFloat64() },
		"ties":     func(int) float64 { return float64(rng.IntN(4)) },
		"days":     func(int) float64 { return float64(rng.IntN(100)) }, // ties, in bands apart
		"mostly1":  func(int) float64 { return float64(1 + rng.IntN(50)/45*rng.IntN(30)) },
		"sorted":   func(i int) float64 { return float64(i) / 3 },
		"reversed": func(i int) float64 { return -float64(i) },
		"constant": func(int) float64 { return 2.5 },
		"extremes": func(int) float64 {
			switch rng.IntN(1000) {
			case 0:
				return math.Inf(1)
			case 1:
				return math.Inf(-1)
			case 2:
				return 1e300
			}
			return rng.ExpFloat64()
		},
	}
	for name, gen := range gens {
		for _, n := range []int{1, 2, 17, bandedMin - 1, bandedMin, bandedMin + 1, 100_003} {
			a := make([]float64, n)
			for i := range a {
				a[i] = gen(i)
			}
			sorted := slices.Clone(a)
			slices.Sort(sorted)
			// Summarize's three (one pass when their bands are apart) and others (a pass per band).
			for _, qs := range [][]float64{{0.1, 0.5, 0.9}, {0.1, 0.5, 0.9, 0.25, 0.999}, {0.5, 0.5001, 0.9}} {
				for _, reach := range []int{-1, 0, 1, 5000} {
					got := quantilesBandedReach(slices.Clone(a), qs, reach)
					for i, q := range qs {
						want := quantileSorted(sorted, q)
						if got[i] != want && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
							t.Errorf("%s n=%d reach %d: quantile %g = %v, want %v", name, n, reach, q, got[i], want)
						}
					}
				}
			}
		}
	}
}

// BenchmarkSummarize is a profile's work on one column of the benchmark's size: a million values.
func BenchmarkSummarize(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float64, 1_000_000)
	for i := range a {
		a[i] = math.Round(rng.ExpFloat64() * 300)
	}
	work := make([]float64, len(a))
	b.Run("banded", func(b *testing.B) {
		for b.Loop() {
			copy(work, a)
			Summarize(work)
		}
	})
	b.Run("select3", func(b *testing.B) { // the three selections Summarize made before the bands
		for b.Loop() {
			copy(work, a)
			meanVariance(work)
			quantileSelect(work, 0.5)
			quantileSelect(work, 0.1)
			quantileSelect(work, 0.9)
		}
	})
}
