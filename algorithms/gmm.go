package algorithms

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// gmm: a Gaussian mixture fitted by expectation-maximisation, following scikit-learn's GaussianMixture (1.2)
// with init_params="kmeans".
//
// Params (scikit-learn names and defaults):
//   - covariance_type ("full"): "full", "diag", "spherical" or "tied".
//   - n_init (1): EM runs from successive k-means initialisations; the highest lower bound wins.
//   - max_iter (100), tol (1e-3): EM stops when the mean log-likelihood changes by less than tol.
//   - reg_covar (1e-6): added to the covariance diagonals so they stay positive definite.
//
// Each EM iteration is one parallel pass over X that does the E-step (log-densities, log-sum-exp,
// responsibilities) and accumulates the sufficient statistics of the M-step (Σr, Σr·x, Σr·x·xᵀ) per row chunk;
// the chunks are merged in order, so results do not depend on the number of workers. Rows are shifted by X's
// column means before accumulating, so the second moments do not lose precision to cancellation when the
// data sit far from the origin.

// gmmOptions are gmm's params after validation.
type gmmOptions struct {
	covType        string
	nInit, maxIter int
	tol, regCovar  float64
}

var gmmParamNames = []string{"covariance_type", "n_init", "max_iter", "tol", "reg_covar"}

func readGMMOptions(params map[string]any) (gmmOptions, error) {
	var o gmmOptions
	p, err := newMethodParams("gmm", params, gmmParamNames...)
	if err != nil {
		return o, err
	}
	if o.covType, err = p.stringParam("covariance_type", "full", gmmCovarianceTypes...); err != nil {
		return o, err
	}
	if o.nInit, err = p.intParam("n_init", 1, 1); err != nil {
		return o, err
	}
	if o.maxIter, err = p.intParam("max_iter", 100, 1); err != nil {
		return o, err
	}
	if o.tol, err = p.floatParam("tol", 1e-3, 0); err != nil {
		return o, err
	}
	if o.regCovar, err = p.floatParam("reg_covar", 1e-6, 0); err != nil {
		return o, err
	}
	return o, nil
}

// errGMMIllDefined is scikit-learn's message for a covariance that is not positive definite.
var errGMMIllDefined = errors.New("gmm: fitting the mixture failed because some components have " +
	"ill-defined empirical covariance (for instance caused by singleton or collapsed samples); " +
	"try fewer components or a larger reg_covar")

func fitGMM(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	opt, err := readGMMOptions(s.Params)
	if err != nil {
		return nil, err
	}
	if err := checkClusterInput("gmm", X, k); err != nil {
		return nil, err
	}
	return runGMM(X, k, newSeededRand(s.Seed), effectiveWorkers(s.Workers), opt)
}

// gmmFit is one EM run's outcome.
type gmmFit struct {
	params     *GMMParams
	lowerBound float64
	nIter      int
	converged  bool
}

func runGMM(X *Matrix, k int, rng *rand.Rand, workers int, opt gmmOptions) (*Clustering, error) {
	em := newGMMEM(X, k, opt, workers)
	var best *gmmFit
	for run := 0; run < opt.nInit; run++ {
		fit, err := em.run(rng)
		if err != nil {
			return nil, err
		}
		if best == nil || fit.lowerBound > best.lowerBound {
			best = fit
		}
	}
	e, err := best.params.evaluator()
	if err != nil {
		return nil, err
	}
	labels := make([]int, X.Rows)
	prob := make([]float64, X.Rows)
	score := e.assign(X, labels, prob, workers)
	if err := checkFitFinite("gmm", score); err != nil {
		return nil, err
	}
	res := &Clustering{
		Labels:      labels,
		K:           k,
		Centroids:   &Matrix{Rows: k, Cols: X.Cols, Data: append([]float64(nil), best.params.Means.Data...)},
		Probability: prob,
		Model:       &Model{Method: "gmm", GMM: best.params},
		Report: ClusterReport{
			Method:        "gmm",
			NIter:         best.nIter,
			Converged:     best.converged,
			LogLikelihood: score,
			BIC:           gmmBIC(opt.covType, k, X.Cols, score, X.Rows),
		},
	}
	res.Model.Centroids = res.Centroids
	if !best.converged {
		res.Report.Notes = append(res.Report.Notes, fmt.Sprintf(
			"gmm: EM did not converge within max_iter = %d iterations (tol = %g)", opt.maxIter, opt.tol))
	}
	return res, nil
}

// gmmBIC is GaussianMixture.bic for a mean log-likelihood over n rows: -2·n·LL + parameters·ln n.
func gmmBIC(covType string, k, d int, meanLogLikelihood float64, n int) float64 {
	return -2*meanLogLikelihood*float64(n) + float64(gmmFreeParameters(covType, k, d))*math.Log(float64(n))
}

// gmmFreeParameters is GaussianMixture._n_parameters: covariance, mean and weight parameters.
func gmmFreeParameters(covType string, k, d int) int {
	var cov int
	switch covType {
	case "full":
		cov = k * d * (d + 1) / 2
	case "diag":
		cov = k * d
	case "tied":
		cov = d * (d + 1) / 2
	case "spherical":
		cov = k
	}
	return cov + k*d + k - 1
}

// gmmEM owns an EM run's buffers.
type gmmEM struct {
	X          *Matrix
	k, d       int
	opt        gmmOptions
	workers    int
	chunks     rowChunks
	shift      []float64 // X's column means
	full       bool      // second moments as d×d (full, tied) rather than d (diag, spherical)
	momentSize int
	// Per-chunk sufficient statistics: Σr (k), Σr·x̃ (k×d), Σr·x̃·x̃ᵀ (k×momentSize); x̃ = x - shift.
	chunkN, chunkS1, chunkS2 []float64
	chunkLogLik              []float64
	scratch                  [][]float64
}

func newGMMEM(X *Matrix, k int, opt gmmOptions, workers int) *gmmEM {
	d := X.Cols
	chunks := newRowChunks(X.Rows)
	full := opt.covType == "full" || opt.covType == "tied"
	momentSize := d
	if full {
		momentSize = d * d
	}
	em := &gmmEM{
		X: X, k: k, d: d, opt: opt, workers: max(1, min(workers, chunks.count)), chunks: chunks,
		full: full, momentSize: momentSize,
		chunkN:      make([]float64, chunks.count*k),
		chunkS1:     make([]float64, chunks.count*k*d),
		chunkS2:     make([]float64, chunks.count*k*momentSize),
		chunkLogLik: make([]float64, chunks.count),
	}
	em.shift, _ = columnMeanVariance(X, workers)
	em.scratch = make([][]float64, em.workers)
	for w := range em.scratch {
		em.scratch[w] = make([]float64, k+2*d+momentSize)
	}
	return em
}

// run initialises from a k-means partition (GaussianMixture._initialize_parameters with init_params="kmeans":
// KMeans(n_clusters=k, n_init=1) labels as one-hot responsibilities) and iterates EM as BaseMixture.fit_predict.
func (em *gmmEM) run(rng *rand.Rand) (*gmmFit, error) {
	km := runKMeans(em.X, em.k, rng, em.workers, kmeansOptions{nInit: 1, maxIter: 300, tol: 1e-4})
	em.accumulate(nil, km.Labels)
	params, err := em.maximise()
	if err != nil {
		return nil, err
	}
	fit := &gmmFit{params: params, lowerBound: math.Inf(-1)}
	for iter := 1; iter <= em.opt.maxIter; iter++ {
		prev := fit.lowerBound
		e, err := params.evaluator()
		if err != nil {
			return nil, err
		}
		// E-step with the current parameters; its mean log-likelihood is the lower bound of this iteration.
		lowerBound := em.accumulate(e, nil)
		if params, err = em.maximise(); err != nil {
			return nil, err
		}
		fit.params, fit.lowerBound, fit.nIter = params, lowerBound, iter
		if math.Abs(lowerBound-prev) < em.opt.tol {
			fit.converged = true
			break
		}
	}
	return fit, nil
}

// accumulate computes the chunks' sufficient statistics, with responsibilities from the evaluator e, or from
// hard labels when e is nil. It returns the mean log-likelihood under e (0 for labels).
func (em *gmmEM) accumulate(e *gmmEvaluator, labels []int) float64 {
	k, d, ms := em.k, em.d, em.momentSize
	forEachChunk(em.workers, em.chunks, func(w, c int) {
		buf := em.scratch[w]
		resp, xs, diff, moment := buf[:k], buf[k:k+d], buf[k+d:k+2*d], buf[k+2*d:]
		nk := em.chunkN[c*k : (c+1)*k]
		s1 := em.chunkS1[c*k*d : (c+1)*k*d]
		s2 := em.chunkS2[c*k*ms : (c+1)*k*ms]
		clear(nk)
		clear(s1)
		clear(s2)
		logLik := 0.0
		lo, hi := em.chunks.bounds(c)
		for i := lo; i < hi; i++ {
			x := em.X.Row(i)
			if e != nil {
				e.weightedLogProb(x, resp, diff)
				lse, _ := posterior(resp)
				logLik += lse
			} else {
				clear(resp)
				resp[labels[i]] = 1
			}
			for m, v := range x {
				xs[m] = v - em.shift[m]
			}
			if em.full {
				for a := 0; a < d; a++ {
					for b := a; b < d; b++ {
						moment[a*d+b] = xs[a] * xs[b]
					}
				}
			} else {
				for m, v := range xs {
					moment[m] = v * v
				}
			}
			for j, r := range resp {
				if r == 0 {
					continue
				}
				nk[j] += r
				sj := s1[j*d : (j+1)*d]
				for m, v := range xs {
					sj[m] += r * v
				}
				mj := s2[j*ms : (j+1)*ms]
				if em.full {
					for a := 0; a < d; a++ {
						for b := a; b < d; b++ {
							mj[a*d+b] += r * moment[a*d+b]
						}
					}
				} else {
					for m, v := range moment {
						mj[m] += r * v
					}
				}
			}
		}
		em.chunkLogLik[c] = logLik
	})
	total := 0.0
	for _, v := range em.chunkLogLik {
		total += v
	}
	return total / float64(em.X.Rows)
}

// maximise merges the chunks' statistics in order and computes the new parameters
// (_estimate_gaussian_parameters and _compute_precision_cholesky).
func (em *gmmEM) maximise() (*GMMParams, error) {
	k, d, ms := em.k, em.d, em.momentSize
	nk := make([]float64, k)
	s1 := make([]float64, k*d)
	s2 := make([]float64, k*ms)
	for c := 0; c < em.chunks.count; c++ {
		for j := range nk {
			nk[j] += em.chunkN[c*k+j]
		}
		for i := range s1 {
			s1[i] += em.chunkS1[c*k*d+i]
		}
		for i := range s2 {
			s2[i] += em.chunkS2[c*k*ms+i]
		}
	}
	// scikit-learn adds 10·eps to every Σr so that an empty component does not divide by zero.
	const tiny = 10 * 2.220446049250313e-16
	rawN := append([]float64(nil), nk...)
	total := 0.0
	for j := range nk {
		nk[j] += tiny
		total += nk[j]
	}
	p := &GMMParams{CovarianceType: em.opt.covType, Weights: make([]float64, k), Means: NewMatrix(k, d)}
	centred := make([]float64, k*d) // means of x̃
	for j := 0; j < k; j++ {
		p.Weights[j] = nk[j] / total
		for m := 0; m < d; m++ {
			centred[j*d+m] = s1[j*d+m] / nk[j]
			p.Means.Data[j*d+m] = centred[j*d+m] + em.shift[m]
		}
	}
	reg := em.opt.regCovar
	switch em.opt.covType {
	case "full":
		for j := 0; j < k; j++ {
			// Σr(x-μ)(x-μ)ᵀ/n_k = S2/n_k - 2μμᵀ + μμᵀ·Σr/n_k, with μ = S1/n_k.
			mu := centred[j*d : (j+1)*d]
			cov := make([]float64, d*d)
			for a := 0; a < d; a++ {
				for b := a; b < d; b++ {
					v := s2[j*ms+a*d+b]/nk[j] - mu[a]*mu[b]*(2-rawN[j]/nk[j])
					cov[a*d+b], cov[b*d+a] = v, v
				}
				cov[a*d+a] += reg
			}
			p.Covariances = append(p.Covariances, cov)
		}
	case "tied":
		// (XᵀX - Σ n_k μ_k μ_kᵀ) / Σn_k, with XᵀX = Σ_k S2_k since responsibilities sum to one per row.
		cov := make([]float64, d*d)
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				v := 0.0
				for j := 0; j < k; j++ {
					v += s2[j*ms+a*d+b] - nk[j]*centred[j*d+a]*centred[j*d+b]
				}
				v /= total
				cov[a*d+b], cov[b*d+a] = v, v
			}
			cov[a*d+a] += reg
		}
		p.Covariances = [][]float64{cov}
	case "diag", "spherical":
		for j := 0; j < k; j++ {
			v := make([]float64, d)
			mean := 0.0
			for m := 0; m < d; m++ {
				mu := centred[j*d+m]
				v[m] = s2[j*ms+m]/nk[j] - mu*mu + reg
				mean += v[m]
			}
			if em.opt.covType == "spherical" {
				v = []float64{mean / float64(d)}
			}
			p.Covariances = append(p.Covariances, v)
		}
	}
	p.PrecisionsCholesky = make([][]float64, len(p.Covariances))
	for j, cov := range p.Covariances {
		for _, v := range cov {
			if err := checkFitFinite("gmm", v); err != nil {
				return nil, err
			}
		}
		prec, ok := precisionCholesky(em.opt.covType, cov, d)
		if !ok {
			return nil, errGMMIllDefined
		}
		p.PrecisionsCholesky[j] = prec
	}
	return p, nil
}

// precisionCholesky returns scikit-learn's precision Cholesky factor of one covariance entry: for a full
// matrix Σ = L·Lᵀ, U = (L⁻¹)ᵀ (upper-triangular, row-major); for variances 1/√v. ok is false when the
// covariance is not positive definite.
func precisionCholesky(covType string, cov []float64, d int) ([]float64, bool) {
	if covType == "diag" || covType == "spherical" {
		out := make([]float64, len(cov))
		for i, v := range cov {
			if !(v > 0) {
				return nil, false
			}
			out[i] = 1 / math.Sqrt(v)
		}
		return out, true
	}
	// Cholesky–Banachiewicz: L lower-triangular with Σ = L·Lᵀ.
	l := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			s := cov[i*d+j]
			for m := 0; m < j; m++ {
				s -= l[i*d+m] * l[j*d+m]
			}
			if i == j {
				if !(s > 0) {
					return nil, false
				}
				l[i*d+i] = math.Sqrt(s)
			} else {
				l[i*d+j] = s / l[j*d+j]
			}
		}
	}
	// Invert L column by column by forward substitution, then transpose: U[r][c] = L⁻¹[c][r].
	u := make([]float64, d*d)
	col := make([]float64, d)
	for c := 0; c < d; c++ {
		for i := 0; i < d; i++ {
			s := 0.0
			if i == c {
				s = 1
			}
			for m := c; m < i; m++ {
				s -= l[i*d+m] * col[m]
			}
			if i < c {
				col[i] = 0
				continue
			}
			col[i] = s / l[i*d+i]
		}
		for i := 0; i < d; i++ {
			u[c*d+i] = col[i] // row c of U is column c of L⁻¹
		}
	}
	return u, true
}
