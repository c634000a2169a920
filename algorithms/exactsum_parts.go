package algorithms

import (
	"math"
	"math/big"
	"slices"
)

// SumPart is part of a sum of doubles computed elsewhere (by an engine, in SQL): Mantissas is the exact
// sum of the signed 53-bit integer mantissas of the finite values whose biased exponent is Exp (1 for
// subnormals and zeros), each value being its mantissa times 2^(Exp-1075).
type SumPart struct {
	Exp       int
	Mantissas *big.Int
}

// ExactSumOfParts is the sum the parts make, rounded once to the nearest float64 (ties to even): what
// exactSum gives for the same values, in whatever order, so a mean an engine sums by exponent in SQL
// (exactly, in integers) is the mean a profile computes in Go, to the bit.
func ExactSumOfParts(parts []SumPart) float64 {
	total, term := new(big.Int), new(big.Int)
	for _, p := range parts {
		if p.Mantissas == nil {
			continue
		}
		total.Add(total, term.Lsh(p.Mantissas, uint(max(p.Exp, 1)-1)))
	}
	if total.Sign() == 0 {
		return 0
	}
	f := new(big.Float).SetPrec(uint(total.BitLen()) + 1).SetInt(total) // exact
	f.SetMantExp(f, -1074)
	v, _ := f.Float64()
	return v
}

// Float64Parts splits values into SumParts as an engine would (tests hold ExactSumOfParts to exactSum
// with it); infinities and NaN are skipped.
func Float64Parts(values []float64) []SumPart {
	byExp := map[int]*big.Int{}
	for _, x := range values {
		if math.IsInf(x, 0) || math.IsNaN(x) {
			continue
		}
		bits := math.Float64bits(x)
		exp := int(bits >> 52 & 0x7ff)
		mant := int64(bits & (1<<52 - 1))
		if exp == 0 {
			exp = 1
		} else {
			mant |= 1 << 52
		}
		if bits>>63 == 1 {
			mant = -mant
		}
		if byExp[exp] == nil {
			byExp[exp] = new(big.Int)
		}
		byExp[exp].Add(byExp[exp], big.NewInt(mant))
	}
	var out []SumPart
	for e, m := range byExp {
		out = append(out, SumPart{Exp: e, Mantissas: m})
	}
	slices.SortFunc(out, func(a, b SumPart) int { return a.Exp - b.Exp })
	return out
}
