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
// (searchsorted side="right" rather than "left"), so a row already at distance zero can never be drawn, even
// when the draw is exactly 0. With k no larger than the number of distinct rows, this guarantees k distinct
// centres.
func kmeansPlusPlus(X *Matrix, k int, rng *rand.Rand, workers int) []float64 {
	n, d := X.Rows, X.Cols
	centers := make([]float64, k*d)
	trials := 2 + int(math.Log(float64(k)))
	chunks := newRowChunks(n)

	first := rng.IntN(n)
	copy(centers[:d], X.Row(first))

	closest := make([]float64, n)
	forEachChunk(workers, chunks, func(_, c int) {
		lo, hi := chunks.bounds(c)
		for i := lo; i < hi; i++ {
			closest[i] = squaredDistance(X.Row(i), centers[:d])
		}
	})

	cumulative := make([]float64, n)
	candidates := make([]int, trials)
	candidateRows := make([]float64, trials*d)
	finder := newNearestFinder(trials, d)
	scratch := make([]nearestScratch, max(1, min(workers, chunks.count)))
	for w := range scratch {
		scratch[w] = finder.newScratch()
	}
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
		}

		for t, cand := range candidates {
			copy(candidateRows[t*d:(t+1)*d], X.Row(cand))
		}
		finder.setCentroids(candidateRows)
		clear(chunkPotentials)
		forEachChunk(workers, chunks, func(w, ch int) {
			lo, hi := chunks.bounds(ch)
			acc := chunkPotentials[ch*trials : (ch+1)*trials]
			for i := lo; i < hi; i++ {
				dist := finder.squaredDistances(X.Row(i), &scratch[w])
				ci := closest[i]
				for t, v := range dist {
					acc[t] += min(ci, v)
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
		best := X.Row(candidates[bestT])
		copy(centers[c*d:(c+1)*d], best)
		forEachChunk(workers, chunks, func(_, ch int) {
			lo, hi := chunks.bounds(ch)
			for i := lo; i < hi; i++ {
				closest[i] = min(closest[i], squaredDistance(X.Row(i), best))
			}
		})
	}
	return centers
}
