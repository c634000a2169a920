package algorithms

// columnMeanVariance returns each column's mean and population variance (numpy's var, ddof=0), in two passes
// for accuracy, reduced chunk by chunk in a fixed order so the result does not depend on workers.
func columnMeanVariance(X *Matrix, workers int) (mean, variance []float64) {
	d := X.Cols
	chunks := newRowChunks(X.Rows)
	partial := make([]float64, chunks.count*d)
	forEachChunk(workers, chunks, func(_, c int) {
		lo, hi := chunks.bounds(c)
		acc := partial[c*d : (c+1)*d]
		for i := lo; i < hi; i++ {
			for m, v := range X.Row(i) {
				acc[m] += v
			}
		}
	})
	mean = make([]float64, d)
	for c := 0; c < chunks.count; c++ {
		for m := range mean {
			mean[m] += partial[c*d+m]
		}
	}
	for m := range mean {
		mean[m] /= float64(X.Rows)
	}
	clear(partial)
	forEachChunk(workers, chunks, func(_, c int) {
		lo, hi := chunks.bounds(c)
		acc := partial[c*d : (c+1)*d]
		for i := lo; i < hi; i++ {
			for m, v := range X.Row(i) {
				dv := v - mean[m]
				acc[m] += dv * dv
			}
		}
	})
	variance = make([]float64, d)
	for c := 0; c < chunks.count; c++ {
		for m := range variance {
			variance[m] += partial[c*d+m]
		}
	}
	for m := range variance {
		variance[m] /= float64(X.Rows)
	}
	return mean, variance
}

// kmeansTolerance turns the relative tol into scikit-learn's absolute one (sklearn.cluster._kmeans._tolerance):
// tol times the mean per-feature variance of X, so that convergence does not depend on the data's scale.
func kmeansTolerance(X *Matrix, tol float64, workers int) float64 {
	if tol == 0 {
		return 0
	}
	_, variance := columnMeanVariance(X, workers)
	var sum float64
	for _, v := range variance {
		sum += v
	}
	return tol * sum / float64(len(variance))
}
