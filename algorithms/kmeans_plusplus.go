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
// One deliberate difference: a candidate is the first row whose cumulative potential exceeds the draw
// (searchsorted side="right" rather than "left"), so a row at distance zero (a chosen centre, whose distance
// is set to exactly zero) can never be drawn, even when the draw is exactly 0.
func kmeansPlusPlus(kd *kmeansData, k int, rng *rand.Rand) []float64 {
	X, chunks, workers := kd.X, kd.chunks, kd.workers
	n, d := X.Rows, X.Cols
	centers := make([]float64, k*d)
	trials := 2 + int(math.Log(float64(k)))
	finder := newNearestFinder(trials, d)
	scratch := make([]nearestScratch, workers)
	for w := range scratch {
		scratch[w] = finder.newScratch()
	}

	// closest[i] is row i's squared distance to its nearest centre so far: exact for the first centre, then
	// as the potentials pass computed it (scikit-learn likewise keeps its expanded-form distances).
	closest := make([]float64, n)
	copy(centers[:d], X.Row(rng.IntN(n)))
	forEachChunk(workers, chunks, func(_, ch int) {
		lo, hi := chunks.bounds(ch)
		for i := lo; i < hi; i++ {
			closest[i] = squaredDistance(X.Row(i), centers[:d])
		}
	})

	cumulative := make([]float64, n)
	// candidateDist[i*trials+t] keeps row i's distance to candidate t from the potentials pass, so that the
	// chosen candidate's distances need not be computed again.
	candidateDist := make([]float64, n*trials)
	candidates := make([]int, trials)
	candidateRows := make([]float64, trials*d)
	chunkPotentials := make([]float64, chunks.count*trials)
	potentials := make([]float64, trials)
	for c := 1; c < k; c++ {
		// A sequential running sum, as numpy's stable_cumsum, so draws do not depend on workers.
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
			copy(candidateRows[t*d:(t+1)*d], X.Row(candidates[t]))
		}

		// Potential of each candidate, Σ_i min(closest_i, ||x_i - candidate||²), with the candidates'
		// distances from the precomputed row norms (clamped at zero, as scikit-learn's _euclidean_distances),
		// per chunk and merged in chunk order.
		finder.setCentroidsAround(candidateRows, kd.mean)
		clear(chunkPotentials)
		forEachChunk(workers, chunks, func(w, ch int) {
			lo, hi := chunks.bounds(ch)
			acc := chunkPotentials[ch*trials : (ch+1)*trials]
			for i := lo; i < hi; i++ {
				score := finder.scores(X.Row(i), &scratch[w])
				ci, norm := closest[i], kd.rowNorms[i]
				dist := candidateDist[i*trials : (i+1)*trials]
				for t, v := range score {
					dt := min(ci, max(0, norm+v))
					dist[t] = dt
					acc[t] += dt
				}
			}
		})
		clear(potentials)
		for ch := 0; ch < chunks.count; ch++ {
			for t := range potentials {
				potentials[t] += chunkPotentials[ch*trials+t]
			}
		}
		bestT := 0
		for t := 1; t < trials; t++ {
			if potentials[t] < potentials[bestT] {
				bestT = t
			}
		}
		copy(centers[c*d:(c+1)*d], X.Row(candidates[bestT]))
		forEachChunk(workers, chunks, func(_, ch int) {
			lo, hi := chunks.bounds(ch)
			for i := lo; i < hi; i++ {
				closest[i] = candidateDist[i*trials+bestT]
			}
		})
		// The chosen row is a centre: exactly zero, whatever the rounding of the expanded form.
		closest[candidates[bestT]] = 0
	}
	return centers
}
