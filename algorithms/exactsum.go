package algorithms

import (
	"math"
	"math/big"
)

// exactSum adds float64s exactly and rounds once at the end, so its answer does not depend on the order
// of the values. Profiles need that: their values arrive in the order DuckDB's threads finish a join,
// which varies between runs, and an order-dependent sum put a mean of 96.515 (a rounding tie in the
// fourth digit) as 96.51 in one run and 96.52 in the next. Shewchuk's fsum (Python's math.fsum) is exact
// too but took 45 ns a value here; this fixed-point accumulator takes a few.
//
// A finite double is m * 2^(e-1075) with a 53-bit integer m and e its biased exponent (1 for
// subnormals). The accumulator keeps the total as a fixed-point integer split into 32-bit limbs by
// exponent: m is split into its low 32 and high 21 bits, each shifted by e%32 (at most 63 bits) and added,
// in 32-bit halves, to limbs e/32, e/32+1 and e/32+2. Limbs are int64 so
// carries are propagated every 2^28 values (each adds below 2^33 to a limb), long before one could overflow.
type exactSum struct {
	limbs               [66]int64
	pending             int
	nan, posInf, negInf bool
}

const exactSumCarryEvery = 1 << 28

// Add adds x to the sum.
func (s *exactSum) Add(x float64) {
	bits := math.Float64bits(x)
	exp := int(bits >> 52 & 0x7ff)
	mant := bits & (1<<52 - 1)
	switch {
	case exp == 0x7ff:
		switch {
		case mant != 0:
			s.nan = true
		case bits>>63 == 1:
			s.negInf = true
		default:
			s.posInf = true
		}
		return
	case exp == 0:
		if mant == 0 {
			return
		}
		exp = 1
	default:
		mant |= 1 << 52
	}
	limb, shift := exp/32, uint(exp%32)
	lo, hi := (mant&0xffffffff)<<shift, (mant>>32)<<shift
	a0, a1, a2 := int64(lo&0xffffffff), int64(lo>>32)+int64(hi&0xffffffff), int64(hi>>32)
	if bits>>63 == 1 {
		a0, a1, a2 = -a0, -a1, -a2
	}
	s.limbs[limb] += a0
	s.limbs[limb+1] += a1
	s.limbs[limb+2] += a2
	if s.pending++; s.pending == exactSumCarryEvery {
		s.carry()
	}
}

// carry moves each limb's bits above 32 into the next limb (arithmetic shift: limbs may be negative).
func (s *exactSum) carry() {
	for i := 0; i < len(s.limbs)-1; i++ {
		c := s.limbs[i] >> 32
		s.limbs[i] -= c << 32
		s.limbs[i+1] += c
	}
	s.pending = 0
}

// Value is the sum rounded once to the nearest float64 (ties to even); ±Inf when it overflows or an
// infinity was added, NaN when a NaN or both infinities were.
func (s *exactSum) Value() float64 {
	switch {
	case s.nan || s.posInf && s.negInf:
		return math.NaN()
	case s.posInf:
		return math.Inf(1)
	case s.negInf:
		return math.Inf(-1)
	}
	total, limb := new(big.Int), new(big.Int)
	for i := len(s.limbs) - 1; i >= 0; i-- {
		total.Lsh(total, 32)
		total.Add(total, limb.SetInt64(s.limbs[i]))
	}
	if total.Sign() == 0 {
		return 0
	}
	f := new(big.Float).SetPrec(uint(total.BitLen()) + 1).SetInt(total) // exact
	f.SetMantExp(f, -1075)
	v, _ := f.Float64() // the one rounding, subnormals included
	return v
}

// exactMeanVariance is meanVariance with the mean from an exact sum, so the mean is the same whatever the
// order of a. Means of money are often exact decimal ties at the precision they are shown with (19303/200
// = 96.515), where an order-dependent last bit changes what is printed. The variance's sums stay pairwise
// (an exact pass each would add a quarter of a second of CPU to a 1M-customer flagship's profiles): an SD
// is essentially never such a tie, and may differ from run to run in its last bit only.
func exactMeanVariance(a []float64) (mean, variance float64) {
	n := float64(len(a))
	var sum exactSum
	for _, v := range a {
		sum.Add(v)
	}
	mean = sum.Value() / n
	s, q := deviationSums(a, mean)
	variance = (q - s*s/n) / n
	if variance < 0 { // rounding on a constant column
		variance = 0
	}
	return mean, variance
}
