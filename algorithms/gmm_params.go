package algorithms

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// GMMParams are a fitted Gaussian mixture, in scikit-learn's parametrisation (sklearn.mixture.GaussianMixture's
// weights_, means_, covariances_ and precisions_cholesky_), so that a stored model can be checked against or
// loaded from scikit-learn.
type GMMParams struct {
	// CovarianceType is "full", "diag", "spherical" or "tied".
	CovarianceType string `json:"covariance_type"`
	// Weights are the mixing proportions, summing to 1.
	Weights []float64 `json:"weights"`
	// Means holds one component mean per row (k × d).
	Means *Matrix `json:"means"`
	// Covariances has one entry per component (a single one for "tied"): for "full" and "tied" a d×d
	// row-major matrix, for "diag" the d variances, for "spherical" the one variance. reg_covar is included.
	Covariances [][]float64 `json:"covariances"`
	// PrecisionsCholesky has the same layout: for "full" and "tied" the upper-triangular U (row-major d×d)
	// with precision = U·Uᵀ, for "diag" and "spherical" 1/√variance. Predict uses only these, the means and
	// the weights.
	PrecisionsCholesky [][]float64 `json:"precisions_cholesky"`
}

// gmmCovarianceTypes are the supported covariance types, scikit-learn's four.
var gmmCovarianceTypes = []string{"full", "diag", "spherical", "tied"}

// Predict assigns rows to their most probable component and returns that posterior probability.
func (g *GMMParams) Predict(X *Matrix) ([]int, []float64, error) {
	e, err := g.evaluator()
	if err != nil {
		return nil, nil, err
	}
	if X == nil || len(X.Data) != X.Rows*X.Cols {
		return nil, nil, errors.New("gmm: malformed input matrix")
	}
	if X.Cols != e.d {
		return nil, nil, fmt.Errorf("gmm: model has %d features, input has %d", e.d, X.Cols)
	}
	if err := checkFinite("gmm", X); err != nil {
		return nil, nil, err
	}
	labels := make([]int, X.Rows)
	prob := make([]float64, X.Rows)
	e.assign(X, labels, prob, effectiveWorkers(0))
	return labels, prob, nil
}

// Score is the mixture's mean log-likelihood of X (scikit-learn's score) and its BIC on X: how well a
// stored mixture fits the rows it assigns now, as the fit reported for its own rows.
func (g *GMMParams) Score(X *Matrix) (logLikelihood, bic float64, err error) {
	e, err := g.evaluator()
	if err != nil {
		return 0, 0, err
	}
	if X == nil || X.Rows == 0 || len(X.Data) != X.Rows*X.Cols || X.Cols != e.d {
		return 0, 0, errors.New("gmm: input matrix does not match the model")
	}
	if err := checkFinite("gmm", X); err != nil {
		return 0, 0, err
	}
	logLikelihood = e.assign(X, make([]int, X.Rows), nil, effectiveWorkers(0))
	return logLikelihood, gmmBIC(g.CovarianceType, e.k, e.d, logLikelihood, X.Rows), nil
}

// evaluator validates the parameters' shapes and prepares them for evaluating log-densities.
func (g *GMMParams) evaluator() (*gmmEvaluator, error) {
	if g == nil || g.Means == nil || len(g.Means.Data) != g.Means.Rows*g.Means.Cols || g.Means.Rows < 1 ||
		g.Means.Cols < 1 {
		return nil, errors.New("gmm: model has no means")
	}
	k, d := g.Means.Rows, g.Means.Cols
	if !slices.Contains(gmmCovarianceTypes, g.CovarianceType) {
		return nil, fmt.Errorf("gmm: model has unknown covariance type %q", g.CovarianceType)
	}
	if len(g.Weights) != k {
		return nil, fmt.Errorf("gmm: model has %d weights for %d components", len(g.Weights), k)
	}
	want, size := k, gmmCovarianceSize(g.CovarianceType, d)
	if g.CovarianceType == "tied" {
		want = 1
	}
	if len(g.PrecisionsCholesky) != want {
		return nil, fmt.Errorf("gmm: model has %d precision factors, want %d", len(g.PrecisionsCholesky), want)
	}
	for _, p := range g.PrecisionsCholesky {
		if len(p) != size {
			return nil, fmt.Errorf("gmm: model precision factor has %d values, want %d", len(p), size)
		}
	}
	e := newGMMEvaluator(g.CovarianceType, k, d)
	copy(e.means, g.Means.Data)
	for j := 0; j < k; j++ {
		p := g.PrecisionsCholesky[min(j, want-1)]
		e.setPrecisionCholesky(j, p)
	}
	e.setWeights(g.Weights)
	return e, nil
}

// gmmCovarianceSize is how many values one covariance (or precision factor) entry holds.
func gmmCovarianceSize(covType string, d int) int {
	switch covType {
	case "full", "tied":
		return d * d
	case "diag":
		return d
	}
	return 1
}

// gmmEvaluator computes each component's weighted log-density of a row,
// log w_j + log N(x | μ_j, Σ_j), from the Cholesky factors of the precisions as scikit-learn's
// _estimate_log_gaussian_prob does: with precision = U·Uᵀ, the Mahalanobis term is |(x-μ)·U|² and
// log det(Σ)^(-1/2) is the sum of log diag(U).
type gmmEvaluator struct {
	covType string
	k, d    int
	means   []float64 // k×d
	// lower holds Uᵀ per component (k×d×d, lower-triangular, row-major) for full and tied, so the inner loop
	// reads contiguous memory; scale holds the diagonal factors (k×d) for diag and spherical.
	lower    []float64
	scale    []float64
	logDet   []float64 // Σ log diag(U) per component
	logConst []float64 // log w_j + logDet_j - d/2·log 2π
}

func newGMMEvaluator(covType string, k, d int) *gmmEvaluator {
	e := &gmmEvaluator{covType: covType, k: k, d: d, means: make([]float64, k*d),
		logDet: make([]float64, k), logConst: make([]float64, k)}
	if covType == "full" || covType == "tied" {
		e.lower = make([]float64, k*d*d)
	} else {
		e.scale = make([]float64, k*d)
	}
	return e
}

// setPrecisionCholesky loads component j's factor in GMMParams' layout.
func (e *gmmEvaluator) setPrecisionCholesky(j int, p []float64) {
	d := e.d
	logDet := 0.0
	switch e.covType {
	case "full", "tied":
		l := e.lower[j*d*d : (j+1)*d*d]
		for r := 0; r < d; r++ {
			for c := 0; c < d; c++ {
				l[r*d+c] = p[c*d+r]
			}
			logDet += math.Log(p[r*d+r])
		}
	case "diag":
		copy(e.scale[j*d:(j+1)*d], p)
		for _, v := range p {
			logDet += math.Log(v)
		}
	case "spherical":
		for m := 0; m < d; m++ {
			e.scale[j*d+m] = p[0]
		}
		logDet = float64(d) * math.Log(p[0])
	}
	e.logDet[j] = logDet
}

func (e *gmmEvaluator) setWeights(w []float64) {
	c := 0.5 * float64(e.d) * math.Log(2*math.Pi)
	for j := range e.logConst {
		e.logConst[j] = math.Log(w[j]) + e.logDet[j] - c
	}
}

// weightedLogProb fills out[j] with log w_j + log N(x | component j); diff is d-long scratch.
func (e *gmmEvaluator) weightedLogProb(x, out, diff []float64) {
	d := e.d
	diff = diff[:d]
	for j := range out[:e.k] {
		mu := e.means[j*d : (j+1)*d]
		for m := range diff {
			diff[m] = x[m] - mu[m]
		}
		sq := 0.0
		if e.lower != nil {
			l := e.lower[j*d*d : (j+1)*d*d]
			for r := 0; r < d; r++ {
				row := l[r*d : r*d+r+1]
				y := 0.0
				for c, v := range row {
					y += v * diff[c]
				}
				sq += y * y
			}
		} else {
			s := e.scale[j*d : (j+1)*d]
			for m, v := range diff {
				y := v * s[m]
				sq += y * y
			}
		}
		out[j] = e.logConst[j] - 0.5*sq
	}
}

// posterior turns weighted log-probabilities into responsibilities in place (log-sum-exp, shifted by the
// maximum so nothing overflows) and returns log p(x) and the most probable component.
func posterior(wlp []float64) (logNorm float64, best int) {
	mx := wlp[0]
	for j, v := range wlp {
		if v > mx {
			mx, best = v, j
		}
	}
	sum := 0.0
	for j, v := range wlp {
		r := math.Exp(v - mx)
		wlp[j] = r
		sum += r
	}
	inv := 1 / sum
	for j := range wlp {
		wlp[j] *= inv
	}
	return mx + math.Log(sum), best
}

// assign labels each row with its most probable component and that component's posterior; it returns the
// mean log-likelihood (scikit-learn's score).
func (e *gmmEvaluator) assign(X *Matrix, labels []int, prob []float64, workers int) float64 {
	chunks := newRowChunks(X.Rows)
	workers = max(1, min(workers, chunks.count))
	partial := make([]float64, chunks.count)
	scratch := make([][]float64, workers)
	for w := range scratch {
		scratch[w] = make([]float64, e.k+e.d)
	}
	forEachChunk(workers, chunks, func(w, c int) {
		wlp, diff := scratch[w][:e.k], scratch[w][e.k:]
		lo, hi := chunks.bounds(c)
		s := 0.0
		for i := lo; i < hi; i++ {
			e.weightedLogProb(X.Row(i), wlp, diff)
			lse, best := posterior(wlp)
			labels[i] = best
			if prob != nil {
				prob[i] = wlp[best]
			}
			s += lse
		}
		partial[c] = s
	})
	total := 0.0
	for _, v := range partial {
		total += v
	}
	return total / float64(X.Rows)
}
