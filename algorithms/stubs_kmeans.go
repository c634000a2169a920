package algorithms

import "errors"

// Stubs replaced by the k-means family and mixture implementations.

func fitKMeans(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	return nil, errors.New("kmeans: not implemented")
}

func fitMiniBatchKMeans(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	return nil, errors.New("minibatch_kmeans: not implemented")
}

func fitGMM(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	return nil, errors.New("gmm: not implemented")
}

// NearestCentroid assigns each row of X to its nearest centroid by Euclidean distance.
func NearestCentroid(centroids, X *Matrix) []int { return make([]int, X.Rows) }

// GMMParams are a fitted mixture's weights, means and covariances.
type GMMParams struct{}

// Predict assigns rows to their most probable component and returns that probability.
func (g *GMMParams) Predict(X *Matrix) ([]int, []float64, error) {
	return nil, nil, errors.New("gmm: not implemented")
}
