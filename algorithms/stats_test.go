package algorithms

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// quantileSorted, the reference for quantileSelect, is np.quantile(a, q) with the default method "linear" (Hyndman and Fan type 7) on
// ascending sorted, NaN-free data: the value at virtual index (n-1)·q, interpolated linearly.
func quantileSorted(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	switch {
	case h <= 0:
		return sorted[0]
	case i >= n-1:
		return sorted[n-1]
	}
	return lerp(sorted[i], sorted[i+1], h-lo)
}

// medianSorted, the reference for medianSelect, is np.median on ascending sorted, NaN-free data: the middle value, or the mean of the two
// middle values (halved separately, which is exact and cannot overflow).
func medianSorted(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return 0.5*sorted[n/2-1] + 0.5*sorted[n/2]
}

func TestSelectMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(400)
		a := make([]float64, n)
		levels := 1 + r.IntN(20) // few levels: heavy ties
		for i := range a {
			if trial%2 == 0 {
				a[i] = float64(r.IntN(levels))
			} else {
				a[i] = r.NormFloat64()
			}
		}
		if trial%7 == 0 {
			slices.Sort(a) // already sorted and reversed inputs are classic quickselect worst cases
			if trial%14 == 0 {
				slices.Reverse(a)
			}
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		for _, q := range []float64{0, 0.05, 0.25, 0.5, 0.75, 0.95, 1, r.Float64()} {
			if got, want := quantileSelect(slices.Clone(a), q), quantileSorted(sorted, q); got != want {
				t.Fatalf("n=%d q=%g: select %v, sort %v", n, q, got, want)
			}
		}
		if got, want := medianSelect(slices.Clone(a)), medianSorted(sorted); got != want {
			t.Fatalf("n=%d median: select %v, sort %v", n, got, want)
		}
		k := r.IntN(n)
		b := slices.Clone(a)
		selectNth(b, k)
		if b[k] != sorted[k] || slices.Max(b[:k+1]) != b[k] || slices.Min(b[k:]) != b[k] {
			t.Fatalf("selectNth(%d) of %d values did not partition", k, n)
		}
	}
}

func TestPairwiseSumAndVariance(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 128, 129, 1000, 4097} {
		a := make([]float64, n)
		exact := 0.0
		for i := range a {
			a[i] = float64(i%10) + 0.5
			exact += a[i]
		}
		if got := pairwiseSum(a); got != exact {
			t.Errorf("pairwiseSum(n=%d) = %v, want %v", n, got, exact)
		}
	}
	// A large offset is where the naive sum-of-squares formula fails and the corrected two-pass holds.
	a := []float64{1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16}
	mean, variance := meanVariance(a)
	if mean != 1e9+10 || variance != 22.5 {
		t.Errorf("meanVariance = %v, %v; want 1e9+10, 22.5", mean, variance)
	}
	if q := quantileSorted([]float64{1, 2, 3, 4}, 0.25); math.Abs(q-1.75) > 1e-15 {
		t.Errorf("quantile 0.25 of 1..4 = %v, want numpy's 1.75", q)
	}
}
