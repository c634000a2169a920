package algorithms

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// A sum split by exponent, as an engine sums mantissas in SQL, rounds to exactSum's answer to the bit:
// money, tiny and huge values, cancellations, subnormals and ties.
func TestExactSumOfPartsIsExactSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := [][]float64{
		{},
		{0, math.Copysign(0, -1)},
		{0.1, 0.2, 0.3},
		{96.51, 96.52, 1e-300, -1e-300, 5e-324, 5e-324},
		{1e308, 1e308, -1e308},
		{1, 1e-16, 1e-16},
		{math.MaxFloat64, -math.MaxFloat64, 1},
	}
	for range 50 {
		var a []float64
		for range rng.IntN(2000) + 1 {
			a = append(a, math.Round(rng.NormFloat64()*1e4)/100*math.Pow(10, float64(rng.IntN(9)-4)))
		}
		cases = append(cases, a)
	}
	for i, a := range cases {
		var s exactSum
		for _, v := range a {
			s.Add(v)
		}
		want, got := s.Value(), ExactSumOfParts(Float64Parts(a))
		if math.Float64bits(got) != math.Float64bits(want) && !(got == 0 && want == 0) {
			t.Errorf("case %d: %v, exactSum %v", i, got, want)
		}
	}
}

// Quantiles from order statistics alone equal quantileSelect's over all the values, to the bit.
func TestQuantileOfRanksIsQuantileSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 10, 11, 99, 1000, 10001} {
		a := make([]float64, n)
		for i := range a {
			a[i] = math.Round(rng.NormFloat64()*1e5) / 100
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		ranks := map[int64]float64{}
		for i, v := range sorted {
			ranks[int64(i)] = v
		}
		for _, q := range []float64{0.1, 0.5, 0.9} {
			want := quantileSelect(slices.Clone(a), q)
			got, err := QuantileOfRanks(int64(n), q, ranks)
			if err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("n %d, q %v: %v (%v), quantileSelect %v", n, q, got, err, want)
			}
		}
	}
	if _, err := QuantileOfRanks(10, 0.5, map[int64]float64{}); err == nil {
		t.Error("no error for missing order statistics")
	}
}
