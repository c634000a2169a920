package algorithms

import (
	"math"
	"math/big"
	"math/rand"
	"testing"
)

// ratSum is the exact sum of a rounded once: the reference exactSum must equal bit for bit.
func ratSum(a []float64) float64 {
	total := new(big.Rat)
	for _, v := range a {
		total.Add(total, new(big.Rat).SetFloat64(v))
	}
	f, _ := total.Float64()
	return f
}

func TestExactSumIsTheRoundedExactSum(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	cases := map[string][]float64{
		"cancellation": {1e100, 1, -1e100},
		"tenths":       {0.1, 0.1, 0.1},
		"subnormals":   {math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat64, -2.5e-320, 1e-310},
		"extremes":     {math.MaxFloat64, -math.MaxFloat64, 1, math.MaxFloat64 / 2},
		"tie":          {1, 1e-16, 1e-16}, // 1 + 2e-16 rounds to 1 + 2^-52, not to 1
		"zeros":        {0, math.Copysign(0, -1)},
	}
	money := make([]float64, 20000)
	for i := range money {
		money[i] = math.Round(r.ExpFloat64()*10000) / 100
	}
	cases["money"] = money
	wide := make([]float64, 5000)
	for i := range wide {
		wide[i] = math.Ldexp(r.NormFloat64(), r.Intn(400)-200)
	}
	cases["wide exponents"] = wide
	for name, a := range cases {
		var s exactSum
		for _, v := range a {
			s.Add(v)
		}
		if got, want := s.Value(), ratSum(a); math.Float64bits(got) != math.Float64bits(want) && !(got == 0 && want == 0) {
			t.Errorf("%s: exactSum %v (%b), exact %v (%b)", name, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
	if got := sumOf(1, math.Inf(1)); !math.IsInf(got, 1) {
		t.Errorf("1 + Inf = %v", got)
	}
	if got := sumOf(math.Inf(-1), math.Inf(1)); !math.IsNaN(got) {
		t.Errorf("-Inf + Inf = %v", got)
	}
	if got := sumOf(math.MaxFloat64, math.MaxFloat64); !math.IsInf(got, 1) {
		t.Errorf("overflow = %v", got)
	}
	var many exactSum // past the carry interval's worth of additions, with values near a limb's 2^33 bound
	for i := 0; i < exactSumCarryEvery+10; i++ {
		many.Add(math.Float64frombits(0x7fefffffffffffff >> 1))
	}
	want := new(big.Float).SetPrec(200).SetFloat64(math.Float64frombits(0x7fefffffffffffff >> 1))
	want.Mul(want, new(big.Float).SetInt64(exactSumCarryEvery+10))
	if w, _ := want.Float64(); many.Value() != w {
		t.Errorf("after %d additions: %v, want %v", exactSumCarryEvery+10, many.Value(), w)
	}
}

func sumOf(a ...float64) float64 {
	var s exactSum
	for _, v := range a {
		s.Add(v)
	}
	return s.Value()
}

// The point of it: a profile's mean does not depend on the order its values came in (an
// order-dependent sum printed the hierarchical golden's 96.515 as 96.51 or 96.52 from run to run).
func TestSummarizeDoesNotDependOnOrder(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	a := make([]float64, 30000)
	for i := range a {
		a[i] = math.Round(r.ExpFloat64()*10000) / 100
	}
	first := Summarize(append([]float64(nil), a...))
	for k := 0; k < 10; k++ {
		r.Shuffle(len(a), func(i, j int) { a[i], a[j] = a[j], a[i] })
		s := Summarize(append([]float64(nil), a...))
		if s.Mean != first.Mean {
			t.Fatalf("shuffle %d: mean %v, first %v", k, s.Mean, first.Mean)
		}
	}
}

func BenchmarkExactSum(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	a := make([]float64, 1<<20)
	for i := range a {
		a[i] = math.Round(r.ExpFloat64()*10000) / 100
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var s exactSum
		for _, v := range a {
			s.Add(v)
		}
		_ = s.Value()
	}
}
