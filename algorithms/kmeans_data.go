package algorithms

// kmeansData is X prepared once for the passes of the k-means family: the fixed row chunking, X's column
// means and variances (scikit-learn's tolerance is relative to the mean variance), and each row's squared
// distance to the column means. With those norms a squared distance costs one dot product,
// ||x-c||² = ||x-μ||² + ||c-μ||² - 2(x-μ)·(c-μ), which is how scikit-learn computes distances for k-means++
// (x_squared_norms of the centred X) and roughly a third cheaper than summing squared differences.
type kmeansData struct {
	X        *Matrix
	chunks   rowChunks
	workers  int
	mean     []float64
	variance []float64
	rowNorms []float64 // ||x_i - mean||²
	// T is X column-major (colMajor), for the vector kernels; made on first use by columns.
	T []float64
}

// columns makes T if it is not there yet.
func (kd *kmeansData) columns() {
	if kd.T == nil {
		kd.T = colMajor(kd.X)
	}
}

func newKMeansData(X *Matrix, workers int) *kmeansData {
	chunks := newRowChunks(X.Rows)
	workers = max(1, min(workers, chunks.count))
	d := X.Cols
	kd := &kmeansData{X: X, chunks: chunks, workers: workers, variance: make([]float64, d),
		rowNorms: make([]float64, X.Rows)}
	kd.mean, _ = columnMeans(X, workers)
	partial := make([]float64, chunks.count*d)
	forEachChunk(workers, chunks, func(_, c int) {
		lo, hi := chunks.bounds(c)
		acc := partial[c*d : (c+1)*d]
		for i := lo; i < hi; i++ {
			norm := 0.0
			for m, v := range X.Row(i) {
				dv := v - kd.mean[m]
				acc[m] += dv * dv
				norm += dv * dv
			}
			kd.rowNorms[i] = norm
		}
	})
	for c := 0; c < chunks.count; c++ {
		for m := range kd.variance {
			kd.variance[m] += partial[c*d+m]
		}
	}
	for m := range kd.variance {
		kd.variance[m] /= float64(X.Rows)
	}
	return kd
}

// tolerance turns the relative tol into scikit-learn's absolute one (sklearn.cluster._kmeans._tolerance):
// tol times the mean per-feature variance of X, so that convergence does not depend on the data's scale.
func (kd *kmeansData) tolerance(tol float64) float64 {
	if tol == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range kd.variance {
		sum += v
	}
	return tol * sum / float64(len(kd.variance))
}
