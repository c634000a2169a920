package algorithms

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", and Fader & Hardie's note
// "The Gamma-Gamma model of monetary value"): a customer's transaction values are Gamma(p, rate ν) around
// their own mean p/ν, with ν ~ Gamma(q, rate v) across customers, independent of the purchase process. A
// customer with x > 0 repeat purchases of mean value m has the log-likelihood (as lifetimes computes it)
//
//	lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)
//
// and an expected transaction value of p(v + xm)/(px + q - 1); a customer with no repeat purchase gets the
// population mean pv/(q-1), which needs q > 1.

// GammaGamma is a fitted Gamma-Gamma model's parameters.
type GammaGamma struct {
	P float64 `json:"p"`
	Q float64 `json:"q"`
	V float64 `json:"v"`
}

// ggData is the customers Gamma-Gamma is fitted on (x > 0, m > 0), with what the likelihood needs of
// them that does not depend on the parameters: ln(xm) per customer, the sum of ln m, and the distinct x
// (xs, with xw customers each; xi each customer's index into them).
type ggData struct {
	x, m, lnXM []float64
	sumLnM     float64
	xi         []int32
	xs, xw     []float64
}

func newGGData(frequency, monetary []float64) (*ggData, error) {
	d := &ggData{}
	xAt := map[float64]int32{}
	for i, f := range frequency {
		if f <= 0 || monetary[i] == 0 { // a customer whose repeat purchases were free says nothing of ν
			continue
		}
		if !(monetary[i] > 0) || math.IsInf(monetary[i], 0) {
			return nil, fmt.Errorf("customer %d: mean repeat value %v; Gamma-Gamma needs values of 0 or more", i, monetary[i])
		}
		j, ok := xAt[f]
		if !ok {
			j = int32(len(d.xs))
			xAt[f] = j
			d.xs, d.xw = append(d.xs, f), append(d.xw, 0)
		}
		d.xw[j]++
		lnM := math.Log(monetary[i])
		d.x, d.m, d.lnXM, d.xi = append(d.x, f), append(d.m, monetary[i]), append(d.lnXM, lnM+math.Log(f)), append(d.xi, j)
		d.sumLnM += lnM
	}
	return d, nil
}

// gammaGammaLL is the log-likelihood of the customers at θ = (p, q, v) and, when grad is not nil, its
// gradient with respect to (ln p, ln q, ln v). Per customer only ln(xm+v) is computed; the rest is
// ggData's or comes once per distinct x. Sums run in fixed chunks merged in order, as BG/NBD's.
func gammaGammaLL(dd *ggData, theta [3]float64, grad []float64, workers int) float64 {
	p, q, v := theta[0], theta[1], theta[2]
	lgQ, _ := math.Lgamma(q)
	lnV := math.Log(v)
	dgQ := mathext.Digamma(q)
	ll := -dd.sumLnM
	var d [3]float64
	for j, xv := range dd.xs {
		a, _ := math.Lgamma(p*xv + q)
		b, _ := math.Lgamma(p * xv)
		ll += dd.xw[j] * (a - b - lgQ + q*lnV)
		if grad != nil {
			dgPXQ, dgPX := mathext.Digamma(p*xv+q), mathext.Digamma(p*xv)
			d[0] += dd.xw[j] * xv * (dgPXQ - dgPX)
			d[1] += dd.xw[j] * (dgPXQ - dgQ + lnV)
			d[2] += dd.xw[j] * q / v
		}
	}
	type part struct {
		ll float64
		d  [3]float64
	}
	rc := newRowChunks(len(dd.x))
	parts := make([]part, rc.count)
	forEachChunk(workers, rc, func(_, c int) {
		lo, hi := rc.bounds(c)
		var pt part
		for i := lo; i < hi; i++ {
			x := dd.x[i]
			px := p * x
			xmv := x*dd.m[i] + v
			lnXMV := math.Log(xmv)
			pt.ll += px*dd.lnXM[i] - (px+q)*lnXMV
			if grad != nil {
				pt.d[0] += x * (dd.lnXM[i] - lnXMV)
				pt.d[1] -= lnXMV
				pt.d[2] -= (px + q) / xmv
			}
		}
		parts[c] = pt
	})
	for _, pt := range parts {
		ll += pt.ll
		for k := range d {
			d[k] += pt.d[k]
		}
	}
	if grad != nil {
		for k := range d {
			grad[k] = d[k] * theta[k]
		}
	}
	return ll
}

// FitGammaGamma fits Gamma-Gamma by maximum likelihood, on workers goroutines, on the customers with a repeat purchase (frequency
// > 0) of a positive mean value; the others are skipped (a mean of 0 has no likelihood under the model's
// Gamma values, and a negative or non-finite one is an error). It returns the parameters, the
// summed log-likelihood and how many customers it used.
func FitGammaGamma(frequency, monetary []float64, workers int) (GammaGamma, float64, int, error) {
	dd, err := newGGData(frequency, monetary)
	if err != nil {
		return GammaGamma{}, 0, 0, err
	}
	used := len(dd.x)
	if used < 2 {
		return GammaGamma{}, 0, used, fmt.Errorf("Gamma-Gamma needs at least 2 customers with a repeat purchase of positive value; there are %d", used)
	}
	n := float64(used)
	sumM := 0.0
	for _, m := range dd.m {
		sumM += m
	}
	// Start at p = q = 1 with v the mean value's scale (the prior mean pv/(q-1) is infinite at q = 1):
	// the likelihood's optimum moves with the currency through v alone.
	start := []float64{0, 0, math.Log(sumM / n)}
	sol, f, err := minimizeLog(func(th, grad []float64) float64 {
		theta := [3]float64{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])}
		ll := gammaGammaLL(dd, theta, grad, workers)
		for k := range grad {
			grad[k] = -grad[k] / n
		}
		return -ll / n
	}, start)
	if err != nil {
		return GammaGamma{}, 0, used, fmt.Errorf("the Gamma-Gamma fit: %w", err)
	}
	return GammaGamma{P: math.Exp(sol[0]), Q: math.Exp(sol[1]), V: math.Exp(sol[2])}, -f * n, used, nil
}

// GammaGammaLogLikelihood is the summed log-likelihood of the customers with frequency > 0 and a positive
// mean value.
func GammaGammaLogLikelihood(frequency, monetary []float64, g GammaGamma) float64 {
	dd, err := newGGData(frequency, monetary)
	if err != nil {
		return math.NaN()
	}
	return gammaGammaLL(dd, [3]float64{g.P, g.Q, g.V}, nil, 1)
}

// ExpectedValue is E[M | x, m]: the expected value of a customer's future transactions given x repeat
// purchases of mean value m; for x = 0 the population mean pv/(q-1).
func (g GammaGamma) ExpectedValue(x, m float64) float64 {
	if x == 0 {
		return g.P * g.V / (g.Q - 1)
	}
	return g.P * (g.V + x*m) / (g.P*x + g.Q - 1)
}
