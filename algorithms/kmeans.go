package algorithms

import (
	"fmt"
	"math/rand/v2"
)

// kmeans: Lloyd's algorithm with greedy k-means++ seeding, following scikit-learn's KMeans(algorithm="lloyd")
// (1.2): the same seeding, the same iteration, the same stopping rule, the same handling of empty clusters
// (re-seeded at the rows farthest from their centres, and said so in Report.Notes). Lloyd's passes skip rows
// whose centre provably cannot change (Hamerly's bounds, see lloydRunner); the iterates are still Lloyd's.
//
// Params (scikit-learn names):
//   - n_init (default 1): independent seedings; the run with the lowest inertia is kept. The default is what
//     scikit-learn's n_init="auto" means for k-means++ (and its default from 1.4; 1.2 still defaults to 10);
//     "auto" is accepted.
//   - max_iter (default 300): Lloyd iterations per run.
//   - tol (default 1e-4): relative tolerance; a run stops when the summed squared shift of the centres is at
//     most tol × the mean per-feature variance of X, or earlier when no label changes.
//   - minibatch_above (default 2,000,000; 0 disables): above this many rows kmeans runs minibatch_kmeans
//     instead, sets Report.Method to "minibatch_kmeans" and says why in Report.Notes: there, full Lloyd
//     passes cost several times more for an inertia that mini-batches usually come within a percent of.
//     The switched fit keeps n_init if given (as the number of seedings to choose from) and batch_size;
//     max_iter and tol mean other things for mini-batches and keep minibatch_kmeans' defaults.
//   - batch_size: only used when kmeans switches to minibatch_kmeans (default 1024).
//
// Differences from scikit-learn, all deliberate: random draws come from a seeded PCG, not numpy's Mersenne
// Twister, so a seed reproduces segrun's results, not scikit-learn's; after convergence by tol (not by
// unchanged labels) the centroids are set to the means of the final labels, so that centroids are always
// cluster means, and the inertia is measured against them (scikit-learn keeps the previous update's means,
// whose inertia is slightly higher).
//
// Results do not depend on ClusterSpec.Workers: rows are reduced in fixed chunks merged in a fixed order.

// defaultMinibatchAbove is the row count above which kmeans switches to minibatch_kmeans.
const defaultMinibatchAbove = 2_000_000

// kmeansOptions are kmeans' params after validation.
type kmeansOptions struct {
	nInit, maxIter int
	tol            float64
	minibatchAbove int
	batchSize      int
	nInitGiven     bool
}

var kmeansParamNames = []string{"n_init", "max_iter", "tol", "minibatch_above", "batch_size"}

func readKMeansOptions(params map[string]any) (kmeansOptions, error) {
	var o kmeansOptions
	p, err := newMethodParams("kmeans", params, kmeansParamNames...)
	if err != nil {
		return o, err
	}
	if o.nInit, err = p.nInitParam(1); err != nil {
		return o, err
	}
	_, o.nInitGiven = params["n_init"]
	if o.maxIter, err = p.intParam("max_iter", 300, 1); err != nil {
		return o, err
	}
	if o.tol, err = p.floatParam("tol", 1e-4, 0); err != nil {
		return o, err
	}
	if o.minibatchAbove, err = p.intParam("minibatch_above", defaultMinibatchAbove, 0); err != nil {
		return o, err
	}
	if o.batchSize, err = p.intParam("batch_size", 1024, 1); err != nil {
		return o, err
	}
	return o, nil
}

func fitKMeans(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	opt, err := readKMeansOptions(s.Params)
	if err != nil {
		return nil, err
	}
	if err := checkClusterInput("kmeans", X, k); err != nil {
		return nil, err
	}
	workers := effectiveWorkers(s.Workers)
	if opt.minibatchAbove > 0 && X.Rows > opt.minibatchAbove {
		mb := defaultMiniBatchOptions()
		mb.batchSize = opt.batchSize
		if opt.nInitGiven {
			mb.nInit = opt.nInit
		}
		res := runMiniBatchKMeans(X, k, s.Seed, workers, mb)
		if err := checkFitFinite("kmeans", res.Report.Inertia); err != nil {
			return nil, err
		}
		res.Report.Notes = append([]string{fmt.Sprintf(
			"kmeans ran as minibatch_kmeans because X has %d rows, more than minibatch_above = %d "+
				"(set minibatch_above: 0 to force full k-means)", X.Rows, opt.minibatchAbove)},
			res.Report.Notes...)
		return res, nil
	}
	res := runKMeans(X, k, newSeededRand(s.Seed), workers, opt)
	if err := checkFitFinite("kmeans", res.Report.Inertia); err != nil {
		return nil, err
	}
	return res, nil
}

// runKMeans fits validated input: n_init Lloyd runs seeded from rng, keeping the lowest inertia.
func runKMeans(X *Matrix, k int, rng *rand.Rand, workers int, opt kmeansOptions) *Clustering {
	kd := newKMeansData(X, workers)
	tolAbs := kd.tolerance(opt.tol)
	lloyd := newLloydRunner(kd, k)

	var best lloydResult
	bestLabels := make([]int, X.Rows)
	relocated := 0
	for run := 0; run < opt.nInit; run++ {
		init := kmeansPlusPlus(kd, k, rng)
		r := lloyd.run(init, opt.maxIter, tolAbs)
		relocated += r.relocated
		// As scikit-learn: a later run replaces the best only if its inertia is lower and it is a different
		// partition, since rounding can make the same partition look marginally better.
		if run == 0 || (r.inertia < best.inertia && !sameClustering(lloyd.labels, bestLabels, k)) {
			best = r
			best.centers = append([]float64(nil), r.centers...)
			copy(bestLabels, lloyd.labels)
		}
	}
	res := &Clustering{
		Labels:    bestLabels,
		K:         k,
		Centroids: &Matrix{Rows: k, Cols: X.Cols, Data: best.centers},
		Report: ClusterReport{
			Method:    "kmeans",
			Inertia:   best.inertia,
			NIter:     best.nIter,
			Converged: best.converged,
		},
	}
	res.Model = &Model{Method: "kmeans", Centroids: res.Centroids}
	if relocated > 0 {
		res.Report.Notes = append(res.Report.Notes, fmt.Sprintf(
			"kmeans: %d empty cluster(s) were re-seeded at the points farthest from their centres, "+
				"as scikit-learn does", relocated))
	}
	return res
}

// sameClustering reports whether two labelings are the same partition up to renaming the clusters
// (sklearn.cluster._k_means_common._is_same_clustering).
func sameClustering(a, b []int, k int) bool {
	mapping := make([]int, k)
	for i := range mapping {
		mapping[i] = -1
	}
	for i, la := range a {
		if mapping[la] == -1 {
			mapping[la] = b[i]
		} else if mapping[la] != b[i] {
			return false
		}
	}
	return true
}
