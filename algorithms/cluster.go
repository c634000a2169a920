package algorithms

import (
	"errors"
	"fmt"
	"sort"
)

// Noise is the label of rows a method leaves out of every cluster (DBSCAN's noise points).
const Noise = -1

// ClusterSpec says which method to fit and how. Params use scikit-learn's parameter names (n_init, max_iter,
// tol, batch_size, linkage, eps, min_samples, covariance_type, reg_covar...); each method validates its own.
type ClusterSpec struct {
	Method string
	// K is the number of clusters; ignored by dbscan.
	K int
	// Seed makes every random choice reproducible.
	Seed uint64
	// Params are method-specific; values come from YAML, so numbers may arrive as int or float64.
	Params map[string]any
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
	// Members are the clusterings a consensus combines (consensus only).
	Members []ConsensusMember
}

// Clustering is a fitted partition of X's rows.
type Clustering struct {
	// Labels holds each row's cluster in 0..K-1, or Noise.
	Labels []int
	K      int
	// Centroids are the clusters' means in X's space, one row per cluster, for every method.
	Centroids *Matrix
	// Probability is each row's membership probability for its cluster (gmm); nil for other methods.
	Probability []float64
	// Model assigns new rows as this fit would.
	Model *Model
	// Report carries what the run summary shows about the fit.
	Report ClusterReport
}

// ClusterReport is what a fit tells about itself.
type ClusterReport struct {
	// Method is the method that ran; it differs from the spec's when kmeans switched to minibatch_kmeans.
	Method    string  `json:"method"`
	Inertia   float64 `json:"inertia"`
	NIter     int     `json:"n_iter"`
	Converged bool    `json:"converged"`
	// LogLikelihood is the mean per-row log-likelihood (gmm), as scikit-learn's score().
	LogLikelihood float64 `json:"log_likelihood,omitempty"`
	BIC           float64 `json:"bic,omitempty"`
	// Notes say what the user should know: sampling, automatic method switches, empty clusters re-seeded.
	Notes []string `json:"notes,omitempty"`
	// Members is each consensus member's agreement with the consensus (consensus only).
	Members []MemberAgreement `json:"members,omitempty"`
}

// Model is everything needed to assign new rows the way a fit did, stored as JSON with each version so that
// `refit: never` scores later runs consistently.
type Model struct {
	Method string `json:"method"`
	// Centroids, in the prepared space; kmeans, minibatch_kmeans and hierarchical assign to the nearest one.
	Centroids *Matrix `json:"centroids"`
	// GMM holds a mixture's parameters (gmm only).
	GMM *GMMParams `json:"gmm,omitempty"`
	// DBSCAN holds what DBSCAN needs to assign new rows (dbscan only).
	DBSCAN *DBSCANParams `json:"dbscan,omitempty"`
}

// Fitter is one clustering method's numerics: the one place a method is known by name. Everything that
// differs between methods (fitting, checking parameters, assigning new rows, what k selection may do with
// it) is a field here, so that callers ask the fitter instead of switching on its name.
type Fitter struct {
	Name string
	// Fit fits the method for a given k (ignored when FindsOwnK).
	Fit func(X *Matrix, k int, s ClusterSpec) (*Clustering, error)
	// CheckParams validates the method's parameters without data.
	CheckParams func(params map[string]any) error
	// Predict assigns rows of X to a fitted model's clusters; prob is nil without membership probabilities.
	Predict func(m *Model, X *Matrix) (labels []int, prob []float64, err error)
	// FindsOwnK says the method finds its number of clusters itself (dbscan): no k, no k range; TunedBy
	// names the params that shape its clusters instead.
	FindsOwnK bool
	TunedBy   []string
	// Required are params a spec must give, each with what it is.
	Required []RequiredParam
	// Likelihood says the fit has a likelihood: it reports BIC (k may be chosen by bic) and each row's
	// membership probability.
	Likelihood bool
}

// RequiredParam is a parameter a method cannot do without.
type RequiredParam struct {
	Name, Meaning string
}

// fitters is the registry of clustering methods by their spec name.
var fitters = map[string]*Fitter{}

func registerFitter(f *Fitter) { fitters[f.Name] = f }

func init() {
	nearest := func(m *Model, X *Matrix) ([]int, []float64, error) {
		return NearestCentroid(m.Centroids, X), nil, nil
	}
	registerFitter(&Fitter{Name: "kmeans", Fit: fitKMeans, Predict: nearest,
		CheckParams: func(p map[string]any) error { _, err := readKMeansOptions(p); return err }})
	registerFitter(&Fitter{Name: "minibatch_kmeans", Fit: fitMiniBatchKMeans, Predict: nearest,
		CheckParams: func(p map[string]any) error { _, err := readMiniBatchOptions(p); return err }})
	registerFitter(&Fitter{Name: "hierarchical", Fit: fitHierarchical, Predict: nearest,
		CheckParams: func(p map[string]any) error { _, _, err := readHierarchicalParams(p); return err }})
	registerFitter(&Fitter{Name: "dbscan", Fit: fitDBSCAN, FindsOwnK: true, TunedBy: []string{"eps", "min_samples"},
		Required:    []RequiredParam{{"eps", "the neighbourhood radius in the scaled feature space"}},
		CheckParams: func(p map[string]any) error { _, _, err := readDBSCANParams(p); return err },
		Predict: func(m *Model, X *Matrix) ([]int, []float64, error) {
			if m.DBSCAN == nil {
				return nil, nil, errors.New("dbscan model has no core points")
			}
			return m.DBSCAN.Predict(X), nil, nil
		}})
	registerFitter(&Fitter{Name: "consensus", Fit: fitConsensus, Predict: nearest,
		CheckParams: func(p map[string]any) error { _, err := readConsensusParams(p); return err }})
	registerFitter(&Fitter{Name: "gmm", Fit: fitGMM, Likelihood: true,
		CheckParams: func(p map[string]any) error { _, err := readGMMOptions(p); return err },
		Predict: func(m *Model, X *Matrix) ([]int, []float64, error) {
			if m.GMM == nil {
				return nil, nil, errors.New("gmm model has no mixture parameters")
			}
			return m.GMM.Predict(X)
		}})
}

// FitterFor is the named clustering method's fitter, or an error listing the known ones.
func FitterFor(method string) (*Fitter, error) {
	f, ok := fitters[method]
	if !ok {
		return nil, fmt.Errorf("unknown clustering method %q (known: %v)", method, Methods())
	}
	return f, nil
}

// Methods lists the clustering methods by name, sorted.
func Methods() []string {
	names := make([]string, 0, len(fitters))
	for n := range fitters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckParams validates a method's parameters without data, so a spec's typo fails validation rather than
// a run: unknown names (with a suggestion), wrong types and out-of-range values.
func CheckParams(method string, params map[string]any) error {
	f, err := FitterFor(method)
	if err != nil {
		return err
	}
	return f.CheckParams(params)
}

// ErrEmptyInput is returned for a matrix with no rows.
var ErrEmptyInput = errors.New("no rows to cluster")

// Cluster fits the spec's method with k = s.K.
func Cluster(X *Matrix, s ClusterSpec) (*Clustering, error) {
	f, err := FitterFor(s.Method)
	if err != nil {
		return nil, err
	}
	if X == nil || X.Rows == 0 {
		return nil, ErrEmptyInput
	}
	return f.Fit(X, s.K, s)
}

// Predict assigns rows of X (prepared the way the fit's input was) to the model's clusters. prob is nil for
// methods without membership probabilities.
func (m *Model) Predict(X *Matrix) (labels []int, prob []float64, err error) {
	f, ok := fitters[m.Method]
	if !ok {
		return nil, nil, fmt.Errorf("model of unknown method %q", m.Method)
	}
	return f.Predict(m, X)
}
