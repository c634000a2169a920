package algorithms

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// PCA as scikit-learn 1.2.1's PCA with svd_solver="full": centre the data, take its thin SVD
// X - mean = U S Vᵀ (gonum's LAPACK Dgesvd), components are the rows of Vᵀ, explained_variance = S²/(n-1)
// and its ratio to the total. Signs follow svd_flip(U, Vᵀ) with u_based_decision=True, which is what
// PCA._fit_full does in 1.2.1: each component is flipped so that the entry of largest absolute value in
// the matching column of U is positive. U is never formed: its column j is proportional to (X - mean)·v_j,
// the projection we compute anyway, so the sign is read off the projection.
//
// By variance (0 < v < 1), the number of components is np.searchsorted(cumsum(ratio), v, side="right")+1:
// the fewest whose cumulative ratio is strictly greater than v.
//
// scikit-learn switches to a randomized solver for large inputs asking for few components; this always
// does the exact decomposition, which costs O(n·d²) and is what the randomized one approximates.

// PCAModel is a fitted PCA.
type PCAModel struct {
	// Mean is subtracted before projecting, one value per input feature.
	Mean []float64 `json:"mean"`
	// Components holds one principal axis per row (components × input features).
	Components *Matrix `json:"components"`
	// ExplainedVariance and ExplainedVarianceRatio are those of the kept components.
	ExplainedVariance      []float64 `json:"explained_variance"`
	ExplainedVarianceRatio []float64 `json:"explained_variance_ratio"`
}

// fitPCA fits a PCA on X (left unchanged) and returns it with X projected on the kept components.
func fitPCA(X *Matrix, spec PCASpec) (*PCAModel, *Matrix, error) {
	n, d := X.Rows, X.Cols
	if n < 2 {
		return nil, nil, fmt.Errorf("pca: needs at least 2 rows, got %d", n)
	}
	maxComponents := min(n, d)
	if spec.Components > maxComponents {
		return nil, nil, fmt.Errorf("pca: %d components asked for, at most %d possible (min of %d rows and %d features)",
			spec.Components, maxComponents, n, d)
	}
	mean, _ := columnMeans(X, 0)
	centred := make([]float64, len(X.Data))
	for i := 0; i < n; i++ {
		row, c := X.Row(i), centred[i*d:(i+1)*d]
		for j, v := range row {
			c[j] = v - mean[j]
		}
	}
	// Scale by a power of two (exact) so the largest magnitude is in [0.5, 1): LAPACK's iterations do not
	// converge on non-finite input and can overflow near the ends of the float64 range.
	maxAbs := 0.0
	for _, v := range centred {
		if !finite(v) {
			return nil, nil, &DataError{Reason: "pca: the prepared features are too large for float64 arithmetic"}
		}
		if a := math.Abs(v); a > maxAbs {
			maxAbs = a
		}
	}
	if maxAbs == 0 {
		return nil, nil, &DataError{Reason: "pca: the prepared features have no variance (all rows are identical)"}
	}
	_, exp := math.Frexp(maxAbs)
	// 2^-exp overflows for subnormal data (exp < -1022): apply it in steps that stay finite.
	for rest := -exp; rest != 0; {
		step := max(-1000, min(1000, rest))
		factor := math.Ldexp(1, step)
		for i := range centred {
			centred[i] *= factor
		}
		rest -= step
	}
	// Dgesvd destroys its input, which is our own copy; U is not needed (see svd_flip below).
	a := blas64.General{Rows: n, Cols: d, Stride: d, Data: centred}
	s := make([]float64, maxComponents)
	vt := blas64.General{Rows: maxComponents, Cols: d, Stride: d, Data: make([]float64, maxComponents*d)}
	u := blas64.General{Stride: 1}
	work := []float64{0}
	lapack64.Gesvd(lapack.SVDNone, lapack.SVDStore, a, u, vt, s, work, -1)
	work = make([]float64, int(work[0]))
	if !lapack64.Gesvd(lapack.SVDNone, lapack.SVDStore, a, u, vt, s, work, len(work)) {
		return nil, nil, errors.New("pca: the singular value decomposition did not converge")
	}
	centred, a.Data = nil, nil

	// Variances and ratios are computed on the scaled singular values, where they cannot overflow or
	// underflow; scaling back by 4^exp is exact, so the numbers are sklearn's (total summed pairwise like
	// numpy's ev.sum()).
	scaled := make([]float64, len(s))
	for i, sv := range s {
		scaled[i] = sv * sv / float64(n-1)
	}
	total := pairwiseSum(scaled)
	if !(total > 0) {
		return nil, nil, &DataError{Reason: "pca: the prepared features have no variance (all rows are identical)"}
	}
	variance := make([]float64, len(s))
	ratio := make([]float64, len(s))
	for i, v := range scaled {
		variance[i] = math.Ldexp(v, 2*exp) // +Inf if it overflows: checkFinite turns that into an error
		ratio[i] = v / total
	}
	k := spec.Components
	if spec.Variance > 0 {
		k = componentsForVariance(ratio, spec.Variance)
	}
	m := &PCAModel{
		Mean:                   mean,
		Components:             &Matrix{Rows: k, Cols: d, Data: slices.Clone(vt.Data[:k*d])},
		ExplainedVariance:      slices.Clone(variance[:k]),
		ExplainedVarianceRatio: slices.Clone(ratio[:k]),
	}
	projected := m.transform(X)
	// svd_flip: make the largest-magnitude entry of U's column c positive. U's column c is the projection
	// on axis c divided by S[c] > 0, so flip the axis (and the projection) when that entry is negative.
	for c := 0; c < k; c++ {
		best, bestAbs := 0.0, -1.0
		for i := 0; i < n; i++ {
			if p := projected.Data[i*k+c]; math.Abs(p) > bestAbs {
				best, bestAbs = p, math.Abs(p)
			}
		}
		if best >= 0 {
			continue
		}
		axis := m.Components.Row(c)
		for j := range axis {
			axis[j] = -axis[j]
		}
		for i := 0; i < n; i++ {
			projected.Data[i*k+c] = -projected.Data[i*k+c]
		}
	}
	return m, projected, nil
}

// componentsForVariance is np.searchsorted(np.cumsum(ratio), v, side="right") + 1, capped at len(ratio):
// the fewest leading components whose cumulative ratio is strictly greater than v.
func componentsForVariance(ratio []float64, v float64) int {
	cum := 0.0
	for k, r := range ratio {
		cum += r
		if cum > v {
			return k + 1
		}
	}
	return len(ratio)
}

// transform projects X on the components: (X - Mean)·Componentsᵀ, as sklearn's PCA.transform.
func (m *PCAModel) transform(X *Matrix) *Matrix {
	k, d := m.Components.Rows, m.Components.Cols
	out := NewMatrix(X.Rows, k)
	centred := make([]float64, d)
	for i := 0; i < X.Rows; i++ {
		row := X.Row(i)
		for j := range centred {
			centred[j] = row[j] - m.Mean[j]
		}
		o := out.Row(i)
		for c := 0; c < k; c++ {
			o[c] = dot(centred, m.Components.Row(c))
		}
	}
	return out
}

// dot is the inner product of two equal-length vectors.
func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// pcaFeatureNames names k principal components "pc1".."pck".
func pcaFeatureNames(k int) []string {
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprintf("pc%d", i+1)
	}
	return names
}
