// Package algorithms holds segrun's numerical work: preprocessing (imputation, transforms, scaling, PCA),
// clustering (k-means, mini-batch k-means, agglomerative, DBSCAN, Gaussian mixtures), RFM scoring, and the
// measures that say whether segments are any good (silhouette, Davies-Bouldin, Calinski-Harabasz, adjusted
// Rand index, explaining trees).
//
// It is pure Go on gonum and knows nothing of DuckDB or the spec: the runner hands it columns as float64
// slices taken from Arrow batches and gets labels, scores, a fitted model and reports back. Every random
// choice is drawn from a generator seeded by the caller, so equal inputs give equal outputs.
//
// Correctness is pinned to scikit-learn: scripts/sklearn_golden.py writes reference results into
// testdata/golden, and the tests compare against them without needing Python.
package algorithms
