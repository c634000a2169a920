package algorithms

// columnMeanVariance returns each column's mean and population variance (numpy's var, ddof=0), in two passes
// for accuracy, reduced chunk by chunk in a fixed order so the result does not depend on workers.
func columnMeanVariance(X *Matrix, workers int) (mean, variance []float64) {
	d := X.Cols
	chunks := newRowChunks(X.Rows)
	mean, partial := columnMeans(X, workers)
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

// columnMeans returns each column's mean, summed chunk by chunk and merged in chunk order; it also returns
// its per-chunk scratch (chunks × d) for a caller's second pass.
func columnMeans(X *Matrix, workers int) (mean, partial []float64) {
	d := X.Cols
	chunks := newRowChunks(X.Rows)
	partial = make([]float64, chunks.count*d)
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
	return mean, partial
}
