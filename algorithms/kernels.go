package algorithms

import "math"

// Distance kernels: the inner loops of k-means, k-means++ and the silhouette, over a column-major copy of X
// (colMajor: feature m of row i at T[m*n+i]), so that one vector instruction handles four rows. On amd64
// with AVX2 and FMA they run in assembly (kernels_amd64.s), four rows at a time; elsewhere, and for the
// rows left over, in the Go below, which is also the reference the assembly is tested against
// (TestKernelsAgree). The two round differently (a fused multiply-add rounds once), so results agree to the
// last few bits, not bit for bit; on one machine they are always the same.

// colMajor returns X's columns one after another: the layout the kernels read.
func colMajor(X *Matrix) []float64 {
	n, d := X.Rows, X.Cols
	T := make([]float64, n*d)
	for i := 0; i < n; i++ {
		row := X.Data[i*d : (i+1)*d]
		for m, v := range row {
			T[m*n+i] = v
		}
	}
	return T
}

// nearestCoefficients packs k×d centroids for nearestRows: for each centroid j, its bias ||c'_j||² + 2μ·c'_j
// followed by 2c'_j, where c' = c - μ (see nearestFinder for why scores are taken around μ). The score
// bias_j - x·2c'_j ranks centroids as ||x - c_j||² does.
func nearestCoefficients(C, mu []float64, k, d int, coef []float64) {
	for j := 0; j < k; j++ {
		out := coef[j*(d+1) : (j+1)*(d+1)]
		var norm, cross float64
		for m := 0; m < d; m++ {
			c := C[j*d+m] - mu[m]
			norm += c * c
			cross += mu[m] * c
			out[1+m] = 2 * c
		}
		out[0] = norm + 2*cross
	}
}

// nearestRows sets labels[i] to the centroid with the lowest score for rows lo..lo+len(labels) of T (n rows):
// the first centroid on exact ties.
func nearestRows(T []float64, n, d, lo int, coef []float64, k int, labels []int32) {
	done := 0
	if useAVX2 && len(labels) >= 4 && k > 0 && d > 0 { // the assembly loops assume at least one of each
		done = len(labels) &^ 3
		nearestAVX2(&T[lo], 8*n, done, d, &coef[0], k, &labels[0])
	}
	for i := done; i < len(labels); i++ {
		labels[i] = nearestOne(T, n, d, lo+i, coef, k)
	}
}

func nearestOne(T []float64, n, d, row int, coef []float64, k int) int32 {
	best, bestJ := math.Inf(1), int32(0)
	for j := 0; j < k; j++ {
		c := coef[j*(d+1) : (j+1)*(d+1)]
		s := c[0]
		for m := 0; m < d; m++ {
			s -= T[m*n+row] * c[1+m]
		}
		if s < best {
			best, bestJ = s, int32(j)
		}
	}
	return bestJ
}

// squaredDistances sets out[i] = ||x_i - c||² for rows lo..lo+len(out) of T.
func squaredDistances(T []float64, n, d, lo int, c []float64, out []float64) {
	done := 0
	if useAVX2 && len(out) >= 4 && d > 0 {
		done = len(out) &^ 3
		squaredDistancesAVX2(&T[lo], 8*n, done, d, &c[0], &out[0])
	}
	for i := done; i < len(out); i++ {
		s := 0.0
		for m := 0; m < d; m++ {
			t := T[m*n+lo+i] - c[m]
			s += t * t
		}
		out[i] = s
	}
}

// distanceSum returns Σ ||x_i - c|| over rows lo..hi of T.
func distanceSum(T []float64, n, d, lo, hi int, c []float64) float64 {
	total := 0.0
	if useAVX2 && hi-lo >= 4 && d > 0 {
		rows := (hi - lo) &^ 3
		total = distanceSumAVX2(&T[lo], 8*n, rows, d, &c[0])
		lo += rows
	}
	for i := lo; i < hi; i++ {
		s := 0.0
		for m := 0; m < d; m++ {
			t := T[m*n+i] - c[m]
			s += t * t
		}
		total += math.Sqrt(s)
	}
	return total
}
