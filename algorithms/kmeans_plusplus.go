package algorithms

import (
	"math"
	"math/rand/v2"
	"sort"
)

// kmeansPlusPlus picks k initial centres among X's rows by scikit-learn's greedy k-means++
// (sklearn.cluster._kmeans._kmeans_plusplus): the first centre is a uniformly drawn row; each next one is the
// best of 2+⌊ln k⌋ candidates drawn with probability proportional to the squared distance to the nearest
// centre so far, "best" meaning the candidate that lowers the potential (sum of those squared distances) most.
// It returns the k×d centres row-major.
//
// Most of the cost is the potential of each candidate, Σ_i min(closest_i, ||x_i - candidate||²). A row can
// only move to a candidate that is within twice its current distance of the row's nearest centre (triangle
// inequality: ||x - cand|| >= ||cand - a|| - ||x - a||), so rows whose nearest centre is farther than that
// from a candidate keep closest_i without computing the distance. The distances that are computed are exact,
// so the potentials, and hence the centres, are those of the unpruned algorithm; only work is saved, more as
// centres accumulate and rows' distances shrink.
//
// One deliberate difference: a candidate is the first row whose cumulative potential exceeds the draw
// (searchsorted side="right" rather than "left"), so a row at distance zero (a chosen centre) can never be
// drawn, even when the draw is exactly 0. With k no larger than the number of distinct rows, this guarantees
// k distinct centres.
func kmeansPlusPlus(kd *kmeansData, k int, rng *rand.Rand) []float64 {
	if useColumnScan(k, kd.X.Cols) {
		return kmeansPlusPlusColumns(kd, k, rng)
	}
	X, chunks, workers := kd.X, kd.chunks, kd.workers
	n, d := X.Rows, X.Cols
	centers := make([]float64, k*d)
	trials := 2 + int(math.Log(float64(k)))

	// closest[i] is row i's exact squared distance to its nearest centre so far, nearest[i] that centre.
	closest := make([]float64, n)
	nearest := make([]int32, n)
	copy(centers[:d], X.Row(rng.IntN(n)))
	forEachChunk(workers, chunks, func(_, ch int) {
		lo, hi := chunks.bounds(ch)
		for i := lo; i < hi; i++ {
			closest[i] = squaredDistance(X.Row(i), centers[:d])
		}
	})

	cumulative := make([]float64, n)
	// candidateDist[i*trials+t] is min(closest_i, ||x_i - candidate_t||²) from the potentials pass, kept so
	// that the chosen candidate's distances need not be computed again.
	candidateDist := make([]float64, n*trials)
	candidates := make([]int, trials)
	// reach[t*k+j] is ||candidate_t - centre_j||², shrunk by 1e-9 so that rounding never prunes a row that
	// could move: a row whose nearest centre is j can be nearer candidate t only if reach <= 4·closest_i.
	reach := make([]float64, trials*k)
	chunkPotentials := make([]float64, chunks.count*trials)
	potentials := make([]float64, trials)
	for c := 1; c < k; c++ {
		drawCandidates(closest, cumulative, candidates, rng)
		for t := range candidates {
			cand := X.Row(candidates[t])
			for j := 0; j < c; j++ {
				reach[t*k+j] = squaredDistance(cand, centers[j*d:(j+1)*d]) * (1 - 1e-9)
			}
		}

		forEachChunk(workers, chunks, func(_, ch int) {
			lo, hi := chunks.bounds(ch)
			// Accumulate in a local array rather than through the shared slice, so that the compiler need not
			// store and reload every partial sum; trials = 2+⌊ln k⌋ exceeds 8 only beyond k = 403.
			var local [8]float64
			acc := local[:]
			if trials > len(local) {
				acc = make([]float64, trials)
			}
			acc = acc[:trials]
			for i := lo; i < hi; i++ {
				ci, a := closest[i], int(nearest[i])
				dist := candidateDist[i*trials : (i+1)*trials : (i+1)*trials]
				for t, cand := range candidates {
					dt := ci
					if reach[t*k+a] <= 4*ci {
						if v := squaredDistance(X.Row(i), X.Row(cand)); v < ci {
							dt = v
						}
					}
					dist[t] = dt
					acc[t] += dt
				}
			}
			copy(chunkPotentials[ch*trials:(ch+1)*trials], acc)
		})
		bestT := bestCandidate(chunkPotentials, potentials)
		copy(centers[c*d:(c+1)*d], X.Row(candidates[bestT]))
		forEachChunk(workers, chunks, func(_, ch int) {
			lo, hi := chunks.bounds(ch)
			for i := lo; i < hi; i++ {
				if v := candidateDist[i*trials+bestT]; v < closest[i] {
					closest[i], nearest[i] = v, int32(c)
				}
			}
		})
	}
	return centers
}

// kmeansPlusPlusColumns is kmeansPlusPlus with the vector kernel (for inputs where useColumnScan holds):
// the same draws from rng and the same choices, but every candidate's distances are computed, which the
// kernel does faster than the pruning test decides which to skip, and the chosen candidate's distances are
// computed again rather than kept for every row and candidate.
func kmeansPlusPlusColumns(kd *kmeansData, k int, rng *rand.Rand) []float64 {
	kd.columns()
	X, T, chunks, workers := kd.X, kd.T, kd.chunks, kd.workers
	n, d := X.Rows, X.Cols
	centers := make([]float64, k*d)
	trials := 2 + int(math.Log(float64(k)))
	closest := make([]float64, n)
	copy(centers[:d], X.Row(rng.IntN(n)))
	forEachChunk(workers, chunks, func(_, ch int) {
		lo, hi := chunks.bounds(ch)
		squaredDistances(T, n, d, lo, centers[:d], closest[lo:hi])
	})
	cumulative := make([]float64, n)
	candidates := make([]int, trials)
	candidateRows := make([]float64, trials*d)
	chunkPotentials := make([]float64, chunks.count*trials)
	potentials := make([]float64, trials)
	scratch := make([][]float64, workers)
	for w := range scratch {
		scratch[w] = make([]float64, chunks.size)
	}
	for c := 1; c < k; c++ {
		drawCandidates(closest, cumulative, candidates, rng)
		for t := range candidates {
			copy(candidateRows[t*d:(t+1)*d], X.Row(candidates[t]))
		}
		forEachChunk(workers, chunks, func(w, ch int) {
			lo, hi := chunks.bounds(ch)
			dist := scratch[w][:hi-lo]
			near := closest[lo:hi]
			for t := range candidates {
				squaredDistances(T, n, d, lo, candidateRows[t*d:(t+1)*d], dist)
				acc := 0.0
				for i, v := range dist {
					acc += min(v, near[i])
				}
				chunkPotentials[ch*trials+t] = acc
			}
		})
		bestT := bestCandidate(chunkPotentials, potentials)
		chosen := centers[c*d : (c+1)*d]
		copy(chosen, candidateRows[bestT*d:(bestT+1)*d])
		forEachChunk(workers, chunks, func(w, ch int) {
			lo, hi := chunks.bounds(ch)
			dist := scratch[w][:hi-lo]
			squaredDistances(T, n, d, lo, chosen, dist)
			near := closest[lo:hi]
			for i, v := range dist {
				near[i] = min(near[i], v)
			}
		})
	}
	return centers
}

// bestCandidate merges the chunks' potentials (chunk by chunk, in order, so the sums do not depend on
// workers) into potentials and returns the candidate with the lowest, the first on ties.
func bestCandidate(chunkPotentials, potentials []float64) int {
	trials := len(potentials)
	clear(potentials)
	for ch := 0; ch+trials <= len(chunkPotentials); ch += trials {
		for t := range potentials {
			potentials[t] += chunkPotentials[ch+t]
		}
	}
	best := 0
	for t := 1; t < trials; t++ {
		if potentials[t] < potentials[best] {
			best = t
		}
	}
	return best
}

// drawCandidates draws len(candidates) rows with probability proportional to closest (each row's squared
// distance to its nearest centre so far), using cumulative for the running sums. The sum is sequential, as
// numpy's stable_cumsum, so the draws do not depend on workers.
func drawCandidates(closest, cumulative []float64, candidates []int, rng *rand.Rand) {
	n := len(closest)
	var running float64
	for i, v := range closest {
		running += v
		cumulative[i] = running
	}
	total := cumulative[n-1]
	for t := range candidates {
		draw := rng.Float64() * total
		idx := sort.Search(n, func(i int) bool { return cumulative[i] > draw })
		candidates[t] = min(idx, n-1)
	}
}
