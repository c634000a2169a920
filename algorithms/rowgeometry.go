package algorithms

import (
	"fmt"
	"math"
)

// sumSqDiff is the squared Euclidean distance between a and b, summed in index order. The explicit float64
// conversion stops the compiler fusing the multiply and add (the Go spec allows fusion otherwise), so the
// result is bit-for-bit the plain C loop scikit-learn and SciPy run: that matters wherever a distance is
// compared with a threshold (DBSCAN's eps) or with another distance (agglomerative ties).
func sumSqDiff(a, b []float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for j, x := range a {
		d := x - b[j]
		s += float64(d * d)
	}
	return s
}

// requireFinite returns an error naming the first row and column of X holding NaN or an infinity, and
// rejects values so large that squared distances between rows overflow: every method here compares
// distances, and a NaN or +Inf distance makes those comparisons meaningless.
func requireFinite(method string, X *Matrix) error {
	for i, v := range X.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: row %d, column %d is %v; prepare the features so every value is finite",
				method, i/X.Cols, i%X.Cols, v)
		}
	}
	if X.Rows == 0 || X.Cols == 0 {
		return nil
	}
	// The largest possible squared distance is the squared diagonal of the bounding box; scaled by the row
	// count it also bounds Ward's merge costs.
	lo := append([]float64(nil), X.Row(0)...)
	hi := append([]float64(nil), X.Row(0)...)
	for i := 1; i < X.Rows; i++ {
		for j, v := range X.Row(i) {
			lo[j] = min(lo[j], v)
			hi[j] = max(hi[j], v)
		}
	}
	diag := sumSqDiff(hi, lo)
	if math.IsInf(diag*float64(X.Rows), 0) {
		return fmt.Errorf("%s: feature values are too large (squared distances overflow float64); scale the features",
			method)
	}
	return nil
}

// clusterMeans returns the k×cols matrix of cluster means: row c is the mean of X's rows labelled c. Rows
// labelled Noise (or outside 0..k-1) are left out; an empty cluster's row is zero.
func clusterMeans(X *Matrix, labels []int, k int) *Matrix {
	means := NewMatrix(k, X.Cols)
	counts := make([]int, k)
	for i, l := range labels {
		if l < 0 || l >= k {
			continue
		}
		counts[l]++
		row := means.Row(l)
		for j, v := range X.Row(i) {
			row[j] += v
		}
	}
	for c, n := range counts {
		if n == 0 {
			continue
		}
		row := means.Row(c)
		for j := range row {
			row[j] /= float64(n)
		}
	}
	return means
}

// nearestCentroidLabels assigns each row of X to the centroid at the smallest Euclidean distance, the lower
// index on ties, using up to workers goroutines.
func nearestCentroidLabels(centroids, X *Matrix, workers int) []int {
	labels := make([]int, X.Rows)
	if centroids == nil || centroids.Rows == 0 {
		for i := range labels {
			labels[i] = Noise
		}
		return labels
	}
	forChunks(X.Rows, workers, 1024, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := X.Row(i)
			best, bestD := 0, math.Inf(1)
			for c := 0; c < centroids.Rows; c++ {
				if d := sumSqDiff(row, centroids.Row(c)); d < bestD {
					best, bestD = c, d
				}
			}
			labels[i] = best
		}
	})
	return labels
}
