package algorithms

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while a customer is alive
// their purchases are a Poisson process of rate λ, λ ~ Gamma(shape r, rate α) across customers; after
// each repeat purchase they drop out for good with probability p, p ~ Beta(a, b). A customer is summarised
// by x (repeat purchases, the first one not counted), t_x (time of the last purchase, from the first) and
// T (time from the first purchase to the end of observation), all in one time unit.
//
// The likelihood of one customer, in the paper's equation (6) written on the log scale as lifetimes
// computes it, so that neither term under- or overflows:
//
//	A1 = lnΓ(r+x) - lnΓ(r) + r ln α
//	A2 = lnΓ(a+b) + lnΓ(b+x) - lnΓ(b) - lnΓ(a+b+x)
//	A3 = -(r+x) ln(α+T)
//	A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)         (x > 0 only)
//	ln L = A1 + A2 + ln(e^A3 + [x>0] e^A4)            (a log-sum-exp)
//
// A1 and A2 depend on x alone, so they are computed once per distinct x; A3 and A4 once per distinct
// (x, t_x, T), weighted by how many customers share it (customers observed in whole days share them
// often: every customer without a repeat purchase is (0, 0, T)).

// BGNBD is a fitted BG/NBD model's parameters.
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
}

// RFT is the customers' BG/NBD summary: repeat purchases, recency and age in one time unit.
type RFT struct {
	Frequency []float64
	Recency   []float64
	T         []float64
}

// Len is the number of customers.
func (s RFT) Len() int { return len(s.Frequency) }

// rftGroups are the distinct (x, t_x, T) of a summary with how many customers share each, and the
// distinct x with their total weight. The times t_x and T index one table of distinct times, so that
// ln(α + time) is computed once per distinct time, not twice per group: a summary of dated purchases has
// a few hundred distinct ages and recencies however many customers it has.
type rftGroups struct {
	x, w    []float64
	xi      []int32 // index into xs
	ti, txi []int32 // index into times
	xs, xw  []float64
	times   []float64
	tx, T   []float64 // the times themselves, for predictions
}

func groupRFT(s RFT) rftGroups {
	// By sorting, not hashing: a Go map of 1M float triples took 5 s to build (cache misses as it grows),
	// sorting the customers by (T, t_x, x) takes a fraction of that, and equal summaries end up adjacent.
	n := s.Len()
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := cmp.Compare(s.T[a], s.T[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(s.Recency[a], s.Recency[b]); c != 0 {
			return c
		}
		return cmp.Compare(s.Frequency[a], s.Frequency[b])
	})
	times := make([]float64, 0, 2*n)
	times = append(append(times, s.T...), s.Recency...)
	slices.Sort(times)
	g := rftGroups{times: slices.Clip(slices.Compact(times))}
	timeIndex := func(v float64) int32 {
		j, _ := slices.BinarySearch(g.times, v)
		return int32(j)
	}
	xAt := map[float64]int32{}
	for k, i := range idx {
		x, tx, T := s.Frequency[i], s.Recency[i], s.T[i]
		if k > 0 {
			if p := idx[k-1]; s.Frequency[p] == x && s.Recency[p] == tx && s.T[p] == T {
				g.w[len(g.w)-1]++
				continue
			}
		}
		xj, ok := xAt[x]
		if !ok {
			xj = int32(len(g.xs))
			xAt[x] = xj
			g.xs = append(g.xs, x)
			g.xw = append(g.xw, 0)
		}
		g.x, g.tx, g.T, g.w, g.xi = append(g.x, x), append(g.tx, tx), append(g.T, T), append(g.w, 1), append(g.xi, xj)
		g.ti, g.txi = append(g.ti, timeIndex(T)), append(g.txi, timeIndex(tx))
	}
	for j := range g.x {
		g.xw[g.xi[j]] += g.w[j]
	}
	return g
}

// CheckRFT refuses summaries the model cannot describe: negative or non-integer x, t_x outside [0, T], a
// value that is not finite, and x > 0 with t_x = 0 is allowed (several purchases on the first day are one).
func CheckRFT(s RFT) error {
	if len(s.Recency) != s.Len() || len(s.T) != s.Len() {
		return fmt.Errorf("clv: frequency, recency and T have %d, %d and %d values", s.Len(), len(s.Recency), len(s.T))
	}
	for i := range s.Frequency {
		x, tx, T := s.Frequency[i], s.Recency[i], s.T[i]
		switch {
		case !isFinite(x) || !isFinite(tx) || !isFinite(T):
			return fmt.Errorf("clv: customer %d: frequency %v, recency %v, T %v: not finite", i, x, tx, T)
		case x < 0 || x != math.Trunc(x):
			return fmt.Errorf("clv: customer %d: frequency %v is not a count", i, x)
		case tx < 0 || T < tx:
			return fmt.Errorf("clv: customer %d: recency %v is not within [0, T=%v]", i, tx, T)
		}
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// bgnbdLL is the BG/NBD log-likelihood of the grouped summary at θ = (r, α, a, b) and, when grad is not
// nil, its gradient with respect to (ln r, ln α, ln a, ln b), over workers goroutines.
func bgnbdLL(g *rftGroups, theta [4]float64, grad []float64, workers int) float64 {
	r, alpha, a, b := theta[0], theta[1], theta[2], theta[3]
	// The terms of x alone: A1 + A2 and their derivatives, once per distinct x.
	lgR, _ := math.Lgamma(r)
	lgAB, _ := math.Lgamma(a + b)
	lgB, _ := math.Lgamma(b)
	dgR, dgAB, dgB := mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	lnAlpha := math.Log(alpha)
	ll := 0.0
	var d [4]float64
	for j, x := range g.xs {
		w := g.xw[j]
		lgRX, _ := math.Lgamma(r + x)
		lgBX, _ := math.Lgamma(b + x)
		lgABX, _ := math.Lgamma(a + b + x)
		ll += w * (lgRX - lgR + r*lnAlpha + lgAB + lgBX - lgB - lgABX)
		if grad != nil {
			dgABX := mathext.Digamma(a + b + x)
			d[0] += w * (mathext.Digamma(r+x) - dgR + lnAlpha)
			d[1] += w * r / alpha
			d[2] += w * (dgAB - dgABX)
			d[3] += w * (dgAB + mathext.Digamma(b+x) - dgB - dgABX)
		}
	}
	lnA := math.Log(a)
	// Per distinct x > 0: ln(b+x-1); per distinct time: ln(α+time) and 1/(α+time).
	lnBX := make([]float64, len(g.xs))
	for j, x := range g.xs {
		if x > 0 {
			lnBX[j] = math.Log(b + x - 1)
		}
	}
	lnAge := make([]float64, len(g.times))
	invAge := make([]float64, len(g.times))
	forChunks(len(g.times), workers, 1<<14, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			lnAge[k] = math.Log(alpha + g.times[k])
			invAge[k] = 1 / (alpha + g.times[k])
		}
	})
	type part struct {
		ll float64
		d  [4]float64
	}
	// Per-chunk sums merged in chunk order: the same result whatever the number of workers.
	rc := newRowChunks(len(g.x))
	parts := make([]part, rc.count)
	forEachChunk(workers, rc, func(_, c int) {
		lo, hi := rc.bounds(c)
		var p part
		for j := lo; j < hi; j++ {
			x, w := g.x[j], g.w[j]
			rx := r + x
			lnAT := lnAge[g.ti[j]]
			a3 := -rx * lnAT
			if x == 0 {
				p.ll += w * a3
				if grad != nil {
					p.d[0] -= w * lnAT
					p.d[1] -= w * rx * invAge[g.ti[j]]
				}
				continue
			}
			xj := g.xi[j]
			lnATx := lnAge[g.txi[j]]
			a4 := lnA - lnBX[xj] - rx*lnATx
			big, small := a3, a4
			if small > big {
				big, small = small, big
			}
			e := math.Exp(small - big)
			p.ll += w * (big + math.Log1p(e))
			if grad != nil {
				// w4 is the share of e^A4 in e^A3 + e^A4.
				w4 := e / (1 + e)
				if a4 > a3 {
					w4 = 1 / (1 + e)
				}
				w3 := 1 - w4
				p.d[0] += w * (-w3*lnAT - w4*lnATx)
				p.d[1] += w * rx * (-w3*invAge[g.ti[j]] - w4*invAge[g.txi[j]])
				p.d[2] += w * w4 / a
				p.d[3] += w * (-w4 / (b + x - 1))
			}
		}
		parts[c] = p
	})
	for _, p := range parts {
		ll += p.ll
		for k := range d {
			d[k] += p.d[k]
		}
	}
	if grad != nil {
		for k := range d {
			grad[k] = d[k] * theta[k] // d/d ln θ = θ d/dθ
		}
	}
	return ll
}

// BGNBDLogLikelihood is the summed BG/NBD log-likelihood of the customers at the parameters.
func BGNBDLogLikelihood(s RFT, p BGNBD) float64 {
	g := groupRFT(s)
	return bgnbdLL(&g, [4]float64{p.R, p.Alpha, p.A, p.B}, nil, 1)
}

// FitBGNBD fits BG/NBD by maximum likelihood: BFGS (gonum/optimize) on the mean negative log-likelihood
// over the log-parameters, from r = a = b = 1 and α = the customers' mean age (the scale of λ's prior is
// time's). It returns the parameters and the summed log-likelihood, or an error saying why the data
// cannot be fitted (no repeat purchases: the model's dropout is unidentified and its rates go to 0) or
// that the fit did not converge.
func FitBGNBD(s RFT, workers int) (BGNBD, float64, error) {
	if err := CheckRFT(s); err != nil {
		return BGNBD{}, 0, err
	}
	if s.Len() < 2 {
		return BGNBD{}, 0, fmt.Errorf("BG/NBD needs at least 2 customers; there is %d", s.Len())
	}
	repeat, meanT := 0, 0.0
	for i, x := range s.Frequency {
		if x > 0 {
			repeat++
		}
		meanT += s.T[i]
	}
	meanT /= float64(s.Len())
	if repeat == 0 {
		return BGNBD{}, 0, fmt.Errorf("no customer has a repeat purchase (%d customers, each with purchases on one day only): BG/NBD cannot estimate purchase rates or dropout", s.Len())
	}
	if meanT <= 0 {
		return BGNBD{}, 0, fmt.Errorf("every customer's age is 0 (all purchases on the last day observed): BG/NBD has no time to fit")
	}
	g := groupRFT(s)
	n := float64(s.Len())
	start := []float64{0, math.Log(meanT), 0, 0}
	x, f, err := minimizeLog(func(th []float64, grad []float64) float64 {
		var theta [4]float64
		for k := range theta {
			theta[k] = math.Exp(th[k])
		}
		ll := bgnbdLL(&g, theta, grad, workers)
		for k := range grad {
			grad[k] = -grad[k] / n
		}
		return -ll / n
	}, start)
	if err != nil {
		return BGNBD{}, 0, fmt.Errorf("the BG/NBD fit: %w", err)
	}
	p := BGNBD{R: math.Exp(x[0]), Alpha: math.Exp(x[1]), A: math.Exp(x[2]), B: math.Exp(x[3])}
	return p, -f * n, nil
}

// PAlive is the probability that a customer with summary (x, t_x, T) is still alive at T (paper, eq. 11).
func (p BGNBD) PAlive(x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	return 1 / (1 + math.Exp(p.lnDropoutOdds(x, tx, T)))
}

// lnDropoutOdds is ln(a/(b+x-1) ((α+T)/(α+t_x))^(r+x)), for x > 0: the odds that the customer dropped out
// after their last purchase.
func (p BGNBD) lnDropoutOdds(x, tx, T float64) float64 {
	return math.Log(p.A/(p.B+x-1)) + (p.R+x)*math.Log((p.Alpha+T)/(p.Alpha+tx))
}

// purchasesNumerator is the numerator of E[Y(t) | x, t_x, T] (paper, eq. 10), which depends on x and
// T only:
//
//	(a+b+x-1)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],   z = t/(α+T+t)
//
// 2F1 is Gauss's hypergeometric function. Its series in this form needs about (r+x) z/(1-z) terms before
// they shrink; Euler's transformation 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z) turns it into
//
//	((α+T)/(α+T+t))^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)
//
// (1-z is (α+T)/(α+T+t)), whose series needs about (a-1) z/(1-z) terms instead. Fitted dropouts have a
// below 1 or so, and this form's terms shrink from the first (lifetimes falls back on the same form where
// the first overflows): on the flagship demo it took the predictions from 0.7 s to a few milliseconds.
// But when every customer drops out with about the same probability, a and b grow together without
// bound (the fit reaches a = 4.6e5, b = 8.8e6 on simulated customers with one dropout probability): the
// transformed series then needs about a z terms, overflows while (1-z)^(a-1) underflows, and their
// product was NaN. So the form is the one with the fewer terms, a-1 against r+x, each evaluated with
// its power on the log scale (the terms are positive there); if one is not finite, the other.
func (p BGNBD) purchasesNumerator(x, T, t float64) float64 {
	if t == 0 {
		return 0
	}
	c := p.A + p.B + x - 1
	z := t / (p.Alpha + T + t)
	lnOneMinusZ := math.Log((p.Alpha + T) / (p.Alpha + T + t))
	euler := func() float64 {
		return math.Exp((p.A-1)*lnOneMinusZ) * hyp2f1(c-p.R-x, c-p.B-x, c, z)
	}
	direct := func() float64 { // every parameter positive when a > 1: the log-scale sum applies
		return math.Exp((p.R+x)*lnOneMinusZ + lnHyp2f1Positive(p.R+x, p.B+x, c, z))
	}
	var g float64
	if p.A-1 <= p.R+x {
		if g = euler(); !isFinite(g) && p.A > 1 {
			g = direct()
		}
	} else if g = direct(); !isFinite(g) {
		g = euler()
	}
	return c / (p.A - 1) * (1 - g)
}

// hyp2f1 is Gauss's hypergeometric function 2F1(a, b; c; z) for 0 <= z < 1 by its power series, summed
// until a term no longer changes the sum; where that takes too long (z near 1), gonum's Hypergeo.
func hyp2f1(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for k := 0.0; k < 5000; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		sum += term
		if math.Abs(term) <= 1e-17*math.Abs(sum) {
			return sum
		}
	}
	return mathext.Hypergeo(a, b, c, z)
}

// lnHyp2f1Positive is ln 2F1(a, b; c; z) for a, b, c > 0 and 0 <= z < 1, whose series' terms are all
// positive: summed with the sum and the term rescaled whenever they grow large, so that a sum beyond a
// double's range (many repeat purchases, z near 1) is still its logarithm. NaN if it does not converge.
func lnHyp2f1Positive(a, b, c, z float64) float64 {
	sum, term, lnScale := 1.0, 1.0, 0.0
	for k := 0.0; k < 1e5; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		sum += term
		if term <= 1e-17*sum {
			return lnScale + math.Log(sum)
		}
		if sum > 1e200 {
			sum, term, lnScale = sum*1e-200, term*1e-200, lnScale+200*math.Ln10
		}
	}
	return math.NaN()
}

// purchasesDenominator is 1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x): E[Y(t)|...] = numerator / it, and
// P(alive) = 1 / it.
func (p BGNBD) purchasesDenominator(x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	return 1 + math.Exp(p.lnDropoutOdds(x, tx, T))
}

// ExpectedPurchases is E[Y(t) | x, t_x, T]: the expected number of purchases in the t time units after T
// of a customer with that summary (paper, eq. 10).
func (p BGNBD) ExpectedPurchases(t, x, tx, T float64) float64 {
	return p.purchasesNumerator(x, T, t) / p.purchasesDenominator(x, tx, T)
}
