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

// gammaGammaLL is the log-likelihood of customers (x > 0, m > 0) at θ = (p, q, v) and, when grad is not
// nil, its gradient with respect to (ln p, ln q, ln v). The terms of x alone come once per distinct x
// (xs with xw customers each, xi each customer's index into them).
func gammaGammaLL(x, m, lnM []float64, xi []int32, xs, xw []float64, theta [3]float64, grad []float64) float64 {
	p, q, v := theta[0], theta[1], theta[2]
	lgQ, _ := math.Lgamma(q)
	lnV := math.Log(v)
	dgQ := mathext.Digamma(q)
	// Per distinct x: lnΓ(px+q) - lnΓ(px) and its digammas.
	lgTerm := make([]float64, len(xs))
	dgPXQ := make([]float64, len(xs))
	dgPX := make([]float64, len(xs))
	ll := 0.0
	var d [3]float64
	for j, xv := range xs {
		a, _ := math.Lgamma(p*xv + q)
		b, _ := math.Lgamma(p * xv)
		lgTerm[j] = a - b
		ll += xw[j] * (lgTerm[j] - lgQ + q*lnV)
		if grad != nil {
			dgPXQ[j], dgPX[j] = mathext.Digamma(p*xv+q), mathext.Digamma(p*xv)
			d[0] += xw[j] * xv * (dgPXQ[j] - dgPX[j])
			d[1] += xw[j] * (dgPXQ[j] - dgQ + lnV)
			d[2] += xw[j] * q / v
		}
	}
	for i := range x {
		px := p * x[i]
		lnXMV := math.Log(x[i]*m[i] + v)
		ll += (px-1)*lnM[i] + px*math.Log(x[i]) - (px+q)*lnXMV
		if grad != nil {
			d[0] += x[i] * (lnM[i] + math.Log(x[i]) - lnXMV)
			d[1] -= lnXMV
			d[2] -= (px + q) / (x[i]*m[i] + v)
		}
	}
	if grad != nil {
		for k := range d {
			grad[k] = d[k] * theta[k]
		}
	}
	return ll
}

// FitGammaGamma fits Gamma-Gamma by maximum likelihood on the customers with a repeat purchase (frequency
// > 0) of a positive mean value; the others are skipped (a mean of 0 has no likelihood under the model's
// Gamma values, and a negative or non-finite one is an error). It returns the parameters, the
// summed log-likelihood and how many customers it used.
func FitGammaGamma(frequency, monetary []float64) (GammaGamma, float64, int, error) {
	var x, m, lnM []float64
	xAt := map[float64]int32{}
	var xi []int32
	var xs, xw []float64
	sumM := 0.0
	for i, f := range frequency {
		if f <= 0 || monetary[i] == 0 { // a customer whose repeat purchases were free says nothing of ν
			continue
		}
		if !(monetary[i] > 0) || math.IsInf(monetary[i], 0) {
			return GammaGamma{}, 0, 0, fmt.Errorf("customer %d: mean repeat value %v; Gamma-Gamma needs values of 0 or more", i, monetary[i])
		}
		j, ok := xAt[f]
		if !ok {
			j = int32(len(xs))
			xAt[f] = j
			xs, xw = append(xs, f), append(xw, 0)
		}
		xw[j]++
		x, m, lnM, xi = append(x, f), append(m, monetary[i]), append(lnM, math.Log(monetary[i])), append(xi, j)
		sumM += monetary[i]
	}
	if len(x) < 2 {
		return GammaGamma{}, 0, len(x), fmt.Errorf("Gamma-Gamma needs at least 2 customers with a repeat purchase; there are %d", len(x))
	}
	n := float64(len(x))
	// Start at p = q = 1 with v putting the prior mean value pv/(q-1)... at q = 1 it is infinite, so v is
	// the mean value's scale instead: the likelihood's optimum is invariant to the currency, v carries it.
	start := []float64{0, 0, math.Log(sumM / n)}
	sol, f, err := minimizeLog(func(th, grad []float64) float64 {
		theta := [3]float64{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])}
		ll := gammaGammaLL(x, m, lnM, xi, xs, xw, theta, grad)
		for k := range grad {
			grad[k] = -grad[k] / n
		}
		return -ll / n
	}, start)
	if err != nil {
		return GammaGamma{}, 0, len(x), fmt.Errorf("the Gamma-Gamma fit: %w", err)
	}
	return GammaGamma{P: math.Exp(sol[0]), Q: math.Exp(sol[1]), V: math.Exp(sol[2])}, -f * n, len(x), nil
}

// GammaGammaLogLikelihood is the summed log-likelihood of the customers with frequency > 0.
func GammaGammaLogLikelihood(frequency, monetary []float64, g GammaGamma) float64 {
	var x, m, lnM []float64
	var xi []int32
	var xs, xw []float64
	for i, f := range frequency {
		if f > 0 && monetary[i] != 0 {
			x, m, lnM = append(x, f), append(m, monetary[i]), append(lnM, math.Log(monetary[i]))
			xs, xw, xi = append(xs, f), append(xw, 1), append(xi, int32(len(xs)))
		}
	}
	return gammaGammaLL(x, m, lnM, xi, xs, xw, [3]float64{g.P, g.Q, g.V}, nil)
}

// ExpectedValue is E[M | x, m]: the expected value of a customer's future transactions given x repeat
// purchases of mean value m; for x = 0 the population mean pv/(q-1).
func (g GammaGamma) ExpectedValue(x, m float64) float64 {
	if x == 0 {
		return g.P * g.V / (g.Q - 1)
	}
	return g.P * (g.V + x*m) / (g.P*x + g.Q - 1)
}
