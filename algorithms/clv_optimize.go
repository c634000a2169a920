package algorithms

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// maxLogParam bounds the CLV models' log-parameters: e^±30 is beyond any rate, shape or scale a customer
// base has, and a fit that walks there is diverging (its data do not identify the parameter).
const maxLogParam = 30

// minimizeLog minimises f over log-parameters by BFGS from start. f returns the objective and, when grad
// is not nil, fills its gradient. A point outside ±maxLogParam, or where f is not finite, is +Inf to the
// line search, which then steps back. It fails when the minimum is not finite or lies on that bound.
func minimizeLog(f func(x, grad []float64) float64, start []float64) ([]float64, float64, error) {
	outside := func(x []float64) bool {
		for _, v := range x {
			if math.Abs(v) > maxLogParam || math.IsNaN(v) {
				return true
			}
		}
		return false
	}
	// BFGS asks for the value and the gradient at the same point one after the other: compute both once.
	var lastX []float64
	var lastF float64
	lastG := make([]float64, len(start))
	eval := func(x []float64) {
		if lastX != nil && equalFloats(lastX, x) {
			return
		}
		lastX = append(lastX[:0], x...)
		if outside(x) {
			lastF = math.Inf(1)
			for k := range lastG {
				lastG[k] = 0
			}
			return
		}
		lastF = f(x, lastG)
		if !isFinite(lastF) {
			lastF = math.Inf(1)
		}
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return lastF },
		Grad: func(grad, x []float64) { eval(x); copy(grad, lastG) },
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-9,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 20},
		MajorIterations:   1000,
	}
	res, err := optimize.Minimize(problem, start, settings, &optimize.BFGS{})
	if res == nil {
		return nil, 0, err
	}
	// A line search that can no longer improve at a minimum is the common way BFGS ends on a flat optimum;
	// the gradient there says whether it is one.
	if err != nil && !errors.Is(err, optimize.ErrLinesearcherFailure) && !errors.Is(err, optimize.ErrNoProgress) && !errors.Is(err, optimize.ErrNonDescentDirection) {
		return nil, 0, err
	}
	if !isFinite(res.F) {
		return nil, 0, fmt.Errorf("the likelihood is not finite anywhere the optimiser looked")
	}
	x, fx := polishNewton(f, res.X, res.F)
	res.X, res.F = x, fx
	for k, v := range res.X {
		if math.Abs(v) > maxLogParam-1 {
			return nil, 0, fmt.Errorf("parameter %d diverges (its logarithm reached %.1f): the data do not identify it", k+1, v)
		}
	}
	g := make([]float64, len(start))
	f(res.X, g)
	for _, v := range g {
		if math.Abs(v) > 1e-4 {
			return nil, 0, fmt.Errorf("it stopped (%v) where the gradient is %v, not at a maximum", res.Status, g)
		}
	}
	return res.X, res.F, nil
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// polishNewton takes up to three Newton steps on the gradient from x, with the Hessian from forward
// differences of the analytic gradient, keeping each step that shrinks the gradient. BFGS's line search
// compares values of the objective, which near a flat optimum (Gamma-Gamma's p, q and v move together)
// change by less than a double can tell once the parameters are within about 1e-8 of it: where BFGS stops
// there depended on the order of the likelihood's sums. The gradient is exact to about 1e-15, so solving
// gradient = 0 pins the optimum some digits further, the same whatever the order of the sums.
func polishNewton(f func(x, grad []float64) float64, x []float64, fx float64) ([]float64, float64) {
	n := len(x)
	g := make([]float64, n)
	f(x, g)
	gNorm := maxAbs(g)
	for range 3 {
		if gNorm < 1e-14 {
			break
		}
		h := mat.NewDense(n, n, nil)
		xp, gp := make([]float64, n), make([]float64, n)
		for k := range n {
			step := 1e-6 * math.Max(1, math.Abs(x[k]))
			copy(xp, x)
			xp[k] += step
			f(xp, gp)
			for i := range n {
				h.Set(i, k, (gp[i]-g[i])/step)
			}
		}
		sym := mat.NewSymDense(n, nil) // h's symmetric part
		for i := range n {
			for k := i; k < n; k++ {
				sym.SetSym(i, k, (h.At(i, k)+h.At(k, i))/2)
			}
		}
		var d mat.VecDense
		if err := d.SolveVec(sym, mat.NewVecDense(n, g)); err != nil {
			break
		}
		next := make([]float64, n)
		for k := range n {
			next[k] = x[k] - d.AtVec(k)
		}
		gNext := make([]float64, n)
		fNext := f(next, gNext)
		if !isFinite(fNext) || maxAbs(gNext) >= gNorm || fNext > fx+1e-12*math.Abs(fx) {
			break
		}
		x, fx, g, gNorm = next, fNext, gNext, maxAbs(gNext)
	}
	return x, fx
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
