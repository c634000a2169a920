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

// fitFunc fits one method for a given k.
type fitFunc func(X *Matrix, k int, s ClusterSpec) (*Clustering, error)

// methods is the registry of clustering methods by their spec name.
var methods = map[string]fitFunc{
	"kmeans":           fitKMeans,
	"minibatch_kmeans": fitMiniBatchKMeans,
	"hierarchical":     fitHierarchical,
	"dbscan":           fitDBSCAN,
	"gmm":              fitGMM,
}

// Methods lists the clustering methods by name, sorted.
func Methods() []string {
	names := make([]string, 0, len(methods))
	for n := range methods {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckParams validates a method's parameters without data, so a spec's typo fails validation rather than
// a run: unknown names (with a suggestion), wrong types and out-of-range values.
func CheckParams(method string, params map[string]any) error {
	var err error
	switch method {
	case "kmeans":
		_, err = readKMeansOptions(params)
	case "minibatch_kmeans":
		_, err = readMiniBatchOptions(params)
	case "gmm":
		_, err = readGMMOptions(params)
	case "dbscan":
		_, _, err = readDBSCANParams(params)
	case "hierarchical":
		_, _, err = readHierarchicalParams(params)
	default:
		err = fmt.Errorf("unknown clustering method %q (known: %v)", method, Methods())
	}
	return err
}

// ErrEmptyInput is returned for a matrix with no rows.
var ErrEmptyInput = errors.New("no rows to cluster")

// Cluster fits the spec's method with k = s.K.
func Cluster(X *Matrix, s ClusterSpec) (*Clustering, error) {
	fit, ok := methods[s.Method]
	if !ok {
		return nil, fmt.Errorf("unknown clustering method %q (known: %v)", s.Method, Methods())
	}
	if X == nil || X.Rows == 0 {
		return nil, ErrEmptyInput
	}
	return fit(X, s.K, s)
}

// Predict assigns rows of X (prepared the way the fit's input was) to the model's clusters. prob is nil for
// methods without membership probabilities.
func (m *Model) Predict(X *Matrix) (labels []int, prob []float64, err error) {
	switch m.Method {
	case "kmeans", "minibatch_kmeans", "hierarchical":
		return NearestCentroid(m.Centroids, X), nil, nil
	case "gmm":
		if m.GMM == nil {
			return nil, nil, errors.New("gmm model has no mixture parameters")
		}
		return m.GMM.Predict(X)
	case "dbscan":
		if m.DBSCAN == nil {
			return nil, nil, errors.New("dbscan model has no core points")
		}
		return m.DBSCAN.Predict(X), nil, nil
	}
	return nil, nil, fmt.Errorf("model of unknown method %q", m.Method)
}
