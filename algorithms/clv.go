package algorithms

import (
	"fmt"
	"math"
	"sort"
)

// Customer lifetime value from BG/NBD and Gamma-Gamma. Over a horizon of H time units, with a discount
// rate d per unit, a customer's CLV is the expected value of each future unit's purchases, discounted to
// the as-of date:
//
//	CLV = E[M | x, m] × Σ_{i=1..H} (E[Y(i) | x, t_x, T] - E[Y(i-1) | x, t_x, T]) / (1+d)^i
//
// (lifetimes' customer_lifetime_value is this sum with months for units; here the unit is the spec's, so
// a weekly discount rate goes with weeks). E[Y(t)]'s numerator depends on (x, T) only and its denominator
// is 1/P(alive), so the sum's hypergeometric functions are evaluated once per distinct (x, T), not per
// customer.

// CLVCustomers is what the CLV needs of each customer: the BG/NBD summary and the mean repeat value.
type CLVCustomers struct {
	RFT
	Monetary []float64
}

// CLVPrediction is the per-customer output.
type CLVPrediction struct {
	PAlive            []float64
	ExpectedPurchases []float64
	ExpectedValue     []float64
	CLV               []float64
}

// PredictCLV predicts every customer's P(alive), expected purchases over horizon units, expected average
// value and discounted CLV. It fails, naming the customer, on any value that is not finite: a model
// outside the region its formulas hold in (q <= 1 makes the population's mean value infinite), never a NaN
// to publish.
func PredictCLV(c CLVCustomers, bg BGNBD, gg GammaGamma, horizon int, discount float64, workers int) (CLVPrediction, error) {
	n := c.Len()
	out := CLVPrediction{PAlive: make([]float64, n), ExpectedPurchases: make([]float64, n), ExpectedValue: make([]float64, n), CLV: make([]float64, n)}
	type key struct{ x, T float64 }
	at := map[key]int{}
	var keys []key
	idx := make([]int, n)
	for i := range n {
		k := key{c.Frequency[i], c.T[i]}
		j, ok := at[k]
		if !ok {
			j = len(keys)
			at[k] = j
			keys = append(keys, k)
		}
		idx[i] = j
	}
	// Per distinct (x, T): E[Y(H)]'s numerator and the discounted sum of its increments.
	purchases := make([]float64, len(keys))
	discounted := make([]float64, len(keys))
	forChunks(len(keys), workers, 64, func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			k := keys[j]
			prev, sum, factor := 0.0, 0.0, 1.0
			for i := 1; i <= horizon; i++ {
				cur := bg.purchasesNumerator(k.x, k.T, float64(i))
				factor /= 1 + discount
				sum += (cur - prev) * factor
				prev = cur
			}
			purchases[j], discounted[j] = prev, sum
		}
	})
	for i := range n {
		x, tx, T := c.Frequency[i], c.Recency[i], c.T[i]
		den := bg.purchasesDenominator(x, tx, T)
		out.PAlive[i] = 1 / den
		out.ExpectedPurchases[i] = purchases[idx[i]] / den
		out.ExpectedValue[i] = gg.ExpectedValue(x, c.Monetary[i])
		out.CLV[i] = out.ExpectedValue[i] * discounted[idx[i]] / den
		for _, v := range []struct {
			name string
			v    float64
		}{{"P(alive)", out.PAlive[i]}, {"expected purchases", out.ExpectedPurchases[i]}, {"expected value", out.ExpectedValue[i]}, {"CLV", out.CLV[i]}} {
			if !isFinite(v.v) || v.v < 0 {
				return CLVPrediction{}, fmt.Errorf("customer %d (frequency %v, recency %v, T %v, mean repeat value %v): %s is %v under BG/NBD %+v, Gamma-Gamma %+v",
					i, x, tx, T, c.Monetary[i], v.name, v.v, bg, gg)
			}
		}
	}
	return out, nil
}

// QuantileCuts are the values at quantiles qs of v (the linear interpolation of numpy's default and
// DuckDB's quantile_cont): the CLV tiers' thresholds.
func QuantileCuts(v []float64, qs []float64) []float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	out := make([]float64, len(qs))
	for k, q := range qs {
		if len(s) == 0 {
			out[k] = math.NaN()
			continue
		}
		pos := q * float64(len(s)-1)
		lo := int(math.Floor(pos))
		hi := min(lo+1, len(s)-1)
		out[k] = s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
	}
	return out
}

// Tier is the index of the highest threshold v reaches (thresholds increasing), -1 below the first.
func Tier(v float64, thresholds []float64) int {
	t := -1
	for k, th := range thresholds {
		if v >= th {
			t = k
		}
	}
	return t
}

// HoldoutBucket compares, for the customers with one calibration frequency (the last bucket: that many or
// more), the mean purchases the model predicted for the holdout period with the mean they made: the
// papers' conditional-expectation check (Fader, Hardie & Lee 2005, figure 4).
type HoldoutBucket struct {
	Frequency int     `json:"frequency"`
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// holdoutBuckets is how many buckets the check has: 0, 1, ..., 6 and 7+.
const holdoutBuckets = 8

// HoldoutCheck buckets customers by calibration frequency and compares actual holdout purchases with
// E[Y(t) | x, t_x, T] over the holdout's length t. Empty buckets are left out.
func HoldoutCheck(cal RFT, actual []float64, p BGNBD, length float64) []HoldoutBucket {
	var sumA, sumP [holdoutBuckets]float64
	var n [holdoutBuckets]int
	for i, x := range cal.Frequency {
		k := min(int(x), holdoutBuckets-1)
		n[k]++
		sumA[k] += actual[i]
		sumP[k] += p.ExpectedPurchases(length, x, cal.Recency[i], cal.T[i])
	}
	var out []HoldoutBucket
	for k := range n {
		if n[k] > 0 {
			out = append(out, HoldoutBucket{Frequency: k, Customers: n[k], Actual: sumA[k] / float64(n[k]), Predicted: sumP[k] / float64(n[k])})
		}
	}
	return out
}
