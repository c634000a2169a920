package algorithms

import (
	"errors"
	"fmt"
	"math"

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
