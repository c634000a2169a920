package algorithms

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// L2-regularised logistic regression, fitted by L-BFGS (gonum/optimize), as scikit-learn's
// LogisticRegression(penalty="l2", C, solver="lbfgs") fits it:
//
//	minimise  C · Σ_i loss_i(w, b) + ½ ||w||²      (the intercepts b are not penalised)
//
// Two classes: one coefficient vector, loss_i = log(1 + exp(-y_i z_i)) with y_i = ±1 and z_i = x_i·w + b,
// the second class (classes sorted) the positive one. More classes: the multinomial (softmax) model with a
// vector per class, loss_i = log Σ_k exp(z_ik) - z_i,y_i; scikit-learn's multi_class="auto" with lbfgs. The
// objective is minimised divided by C·n (same minimiser, a gradient whose size does not grow with n), until
// the gradient's largest component is below Tol.

// LogisticOptions are the fit's settings; zero values take the defaults.
type LogisticOptions struct {
	// C is the inverse regularisation strength (default 1, scikit-learn's).
	C float64
	// Tol stops the fit when every component of the mean objective's gradient is below it (default 1e-8).
	Tol float64
	// MaxIter bounds L-BFGS's iterations (default 1000).
	MaxIter int
	Workers int
}

// Default logistic regression settings.
const (
	DefaultLogisticC       = 1.0
	DefaultLogisticTol     = 1e-8
	DefaultLogisticMaxIter = 1000
)

// LogisticFit is a fitted logistic regression: Coef[k] and Intercept[k] per class (one row for two
// classes: the positive class's), on the encoded design columns.
type LogisticFit struct {
	Classes    int         `json:"classes"`
	Coef       [][]float64 `json:"coef"`
	Intercept  []float64   `json:"intercept"`
	Iterations int         `json:"iterations"`
	Converged  bool        `json:"converged"`
}

// FitLogistic fits y (class codes 0..classes-1) on X.
func FitLogistic(X *Matrix, y []int, classes int, o LogisticOptions) (*LogisticFit, error) {
	if o.C == 0 {
		o.C = DefaultLogisticC
	}
	if o.Tol == 0 {
		o.Tol = DefaultLogisticTol
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultLogisticMaxIter
	}
	if o.C < 0 || math.IsNaN(o.C) || math.IsInf(o.C, 0) {
		return nil, fmt.Errorf("the inverse regularisation strength C must be a positive number, not %v", o.C)
	}
	if classes < 2 {
		return nil, fmt.Errorf("logistic regression needs at least two classes in the training rows, found %d", classes)
	}
	if X.Rows != len(y) || X.Rows == 0 {
		return nil, fmt.Errorf("logistic regression needs as many labels as rows (%d rows, %d labels)", X.Rows, len(y))
	}
	k := classes
	if classes == 2 {
		k = 1
	}
	p := X.Cols
	obj := &logisticObjective{X: X, y: y, k: k, p: p, scale: 1 / (o.C * float64(X.Rows)), chunks: newRowChunks(X.Rows), workers: o.Workers}
	obj.partial = make([][]float64, obj.chunks.count)
	obj.partialF = make([]float64, obj.chunks.count)
	for c := range obj.partial {
		obj.partial[c] = make([]float64, k*(p+1))
	}
	// L-BFGS's line search asks for the value and then the gradient at the same point: one pass over the
	// rows computes both, and the gradient is kept for the call that follows.
	var lastW, lastGrad []float64
	var lastF float64
	evalBoth := func(w []float64) {
		if lastW != nil && floats.Equal(lastW, w) {
			return
		}
		if lastGrad == nil {
			lastGrad = make([]float64, len(w))
		}
		lastF = obj.eval(w, lastGrad)
		lastW = append(lastW[:0], w...)
	}
	problem := optimize.Problem{
		Func: func(w []float64) float64 { evalBoth(w); return lastF },
		Grad: func(grad, w []float64) { evalBoth(w); copy(grad, lastGrad) },
	}
	settings := &optimize.Settings{
		GradientThreshold: o.Tol,
		MajorIterations:   o.MaxIter,
		// The gradient decides convergence; the function test only stops a fit that no longer moves at all.
		Converger: &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 20},
	}
	w0 := make([]float64, k*(p+1))
	res, err := optimize.Minimize(problem, w0, settings, &optimize.LBFGS{})
	if res == nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	// A line search that can improve no further has reached the optimum to float precision: not a failure.
	stalled := errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress)
	if err != nil && !stalled {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	grad := make([]float64, len(res.X))
	obj.eval(res.X, grad)
	fit := &LogisticFit{Classes: classes, Iterations: res.Stats.MajorIterations,
		Converged: res.Status == optimize.GradientThreshold || floats.Norm(grad, math.Inf(1)) < 100*o.Tol || stalled}
	for c := 0; c < k; c++ {
		block := res.X[c*(p+1) : (c+1)*(p+1)]
		fit.Coef = append(fit.Coef, append([]float64(nil), block[:p]...))
		fit.Intercept = append(fit.Intercept, block[p])
	}
	return fit, nil
}

// logisticObjective evaluates the mean objective and its gradient in parallel over fixed row chunks,
// merged in chunk order so the result does not depend on the number of workers.
type logisticObjective struct {
	X        *Matrix
	y        []int
	k, p     int
	scale    float64 // 1/(C n): the penalty's weight in the mean objective
	chunks   rowChunks
	workers  int
	partial  [][]float64
	partialF []float64
}

func (o *logisticObjective) eval(w, grad []float64) float64 {
	k, p := o.k, o.p
	forEachChunk(o.workers, o.chunks, func(_, c int) {
		lo, hi := o.chunks.bounds(c)
		g := o.partial[c]
		clear(g)
		f := 0.0
		z := make([]float64, max(k, 2))
		if k == 1 { // the binary model's loop, kept free of calls: it is the whole cost of a fit
			wv, gv := w[:p:p], g[:p:p]
			b := w[p]
			gb := 0.0
			for i := lo; i < hi; i++ {
				x := o.X.Data[i*p : (i+1)*p : (i+1)*p]
				z := b
				for j, v := range x {
					z += v * wv[j]
				}
				// log(1+exp(z)) - t z and sigmoid(z) - t from one exp(-|z|)
				e := math.Exp(-math.Abs(z))
				var sp, sig float64
				if z > 0 {
					sp, sig = z+math.Log1p(e), 1/(1+e)
				} else {
					sp, sig = math.Log1p(e), e/(1+e)
				}
				d := sig
				if o.y[i] == 1 {
					sp -= z
					d--
				}
				f += sp
				for j, v := range x {
					gv[j] += d * v
				}
				gb += d
			}
			g[p] = gb
			o.partialF[c] = f
			return
		}
		for i := lo; i < hi; i++ {
			x := o.X.Row(i)
			for j := 0; j < k; j++ {
				blk := w[j*(p+1) : (j+1)*(p+1)]
				z[j] = floats.Dot(x, blk[:p]) + blk[p]
			}
			m := z[0]
			for j := 1; j < k; j++ {
				m = max(m, z[j])
			}
			s := 0.0
			for j := 0; j < k; j++ {
				z[j] = math.Exp(z[j] - m)
				s += z[j]
			}
			lse := m + math.Log(s)
			f += lse - (math.Log(z[o.y[i]]) + m)
			for j := 0; j < k; j++ {
				d := z[j] / s
				if j == o.y[i] {
					d--
				}
				gb := g[j*(p+1) : (j+1)*(p+1)]
				floats.AddScaled(gb[:p], d, x)
				gb[p] += d
			}
		}
		o.partialF[c] = f
	})
	n := float64(o.X.Rows)
	f := 0.0
	for c := range o.partial {
		f += o.partialF[c]
	}
	f /= n
	for j := 0; j < k; j++ {
		f += 0.5 * o.scale * floats.Dot(w[j*(p+1):j*(p+1)+p], w[j*(p+1):j*(p+1)+p])
	}
	if grad != nil {
		clear(grad)
		for c := range o.partial {
			floats.Add(grad, o.partial[c])
		}
		floats.Scale(1/n, grad)
		for j := 0; j < k; j++ {
			floats.AddScaled(grad[j*(p+1):j*(p+1)+p], o.scale, w[j*(p+1):j*(p+1)+p])
		}
	}
	return f
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// Proba returns each row's class probabilities (n rows × classes columns).
func (f *LogisticFit) Proba(X *Matrix) *Matrix {
	P := NewMatrix(X.Rows, f.Classes)
	for i := 0; i < X.Rows; i++ {
		x, out := X.Row(i), P.Row(i)
		if f.Classes == 2 {
			q := sigmoid(floats.Dot(x, f.Coef[0]) + f.Intercept[0])
			out[0], out[1] = 1-q, q
			continue
		}
		m := math.Inf(-1)
		for j := range out {
			out[j] = floats.Dot(x, f.Coef[j]) + f.Intercept[j]
			m = max(m, out[j])
		}
		s := 0.0
		for j := range out {
			out[j] = math.Exp(out[j] - m)
			s += out[j]
		}
		floats.Scale(1/s, out)
	}
	return P
}
