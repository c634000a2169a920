package algorithms

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Linear regression: ordinary least squares (Alpha 0) and ridge (Alpha > 0), as scikit-learn's
// LinearRegression and Ridge(alpha) fit them:
//
//	minimise  ||y - X w - b||² + Alpha ||w||²      (the intercept b is not penalised)
//
// X and y are centred on their training means (which gives b), and the normal equations
// (XᵀX + Alpha I) w = Xᵀy are solved by Cholesky. The design's numeric columns are already standardised
// (model_encode.go), so XᵀX is well scaled; features that are exact linear combinations of others make it
// singular, and ordinary least squares then refuses them by name (ridge does not need to).

// LinearFit is a fitted linear regression on the encoded design columns.
type LinearFit struct {
	Coef      []float64 `json:"coef"`
	Intercept float64   `json:"intercept"`
	Alpha     float64   `json:"alpha,omitempty"`
}

// FitLinear fits y on X; names label the design's columns in errors.
func FitLinear(X *Matrix, y []float64, alpha float64, names []string) (*LinearFit, error) {
	n, p := X.Rows, X.Cols
	if n != len(y) || n == 0 {
		return nil, fmt.Errorf("linear regression needs as many targets as rows (%d rows, %d targets)", n, len(y))
	}
	if alpha < 0 || math.IsNaN(alpha) || math.IsInf(alpha, 0) {
		return nil, fmt.Errorf("alpha must be zero or a positive number, not %v", alpha)
	}
	xm := make([]float64, p)
	ym := 0.0
	for i := 0; i < n; i++ {
		for j, v := range X.Row(i) {
			xm[j] += v
		}
		ym += y[i]
	}
	for j := range xm {
		xm[j] /= float64(n)
	}
	ym /= float64(n)
	gram := mat.NewSymDense(p, nil)
	xty := make([]float64, p)
	c := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range X.Row(i) {
			c[j] = v - xm[j]
		}
		yc := y[i] - ym
		for a := 0; a < p; a++ {
			xty[a] += c[a] * yc
			for b := a; b < p; b++ {
				gram.SetSym(a, b, gram.At(a, b)+c[a]*c[b])
			}
		}
	}
	for a := 0; a < p; a++ {
		gram.SetSym(a, a, gram.At(a, a)+alpha)
	}
	fit := &LinearFit{Coef: make([]float64, p), Alpha: alpha}
	if p > 0 {
		var ch mat.Cholesky
		if !ch.Factorize(gram) || ch.Cond() > 1e12 {
			return nil, fmt.Errorf("the features are collinear (%s): ordinary least squares has no unique solution; drop a feature or use alpha > 0 (ridge)", collinearHint(gram, names))
		}
		w := mat.NewVecDense(p, nil)
		if err := ch.SolveVecTo(w, mat.NewVecDense(p, xty)); err != nil {
			return nil, fmt.Errorf("linear regression: %w", err)
		}
		copy(fit.Coef, w.RawVector().Data)
	}
	fit.Intercept = ym
	for j := range xm {
		fit.Intercept -= fit.Coef[j] * xm[j]
	}
	return fit, nil
}

// collinearHint names a design column with no variance, or else says the columns are dependent.
func collinearHint(gram *mat.SymDense, names []string) string {
	for j := 0; j < gram.SymmetricDim(); j++ {
		if gram.At(j, j) == 0 && j < len(names) {
			return names[j] + " is constant in the training rows"
		}
	}
	return "some are linear combinations of others"
}

// Predict returns each row's predicted value.
func (f *LinearFit) Predict(X *Matrix) []float64 {
	out := make([]float64, X.Rows)
	for i := range out {
		v := f.Intercept
		for j, x := range X.Row(i) {
			v += f.Coef[j] * x
		}
		out[i] = v
	}
	return out
}
