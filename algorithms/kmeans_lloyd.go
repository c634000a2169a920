package algorithms

import "math"

// lloydRunner runs Lloyd iterations over one X, owning every buffer so that iterations allocate nothing per
// row: labels, per-chunk partial sums and counts, and per-worker scratch space are made once per fit.
//
// Each iteration (scikit-learn's lloyd_iter_chunked_dense) assigns every row to its nearest centre, sums the
// rows of each cluster chunk by chunk, merges the chunks in order, re-seeds empty clusters, and divides.
type lloydRunner struct {
	X       *Matrix
	k, d    int
	workers int
	chunks  rowChunks
	finder  *nearestFinder
	scratch []nearestScratch

	labels       []int
	chunkSums    []float64 // chunks.count × k × d
	chunkCounts  []int     // chunks.count × k
	chunkChanged []int     // rows whose label changed, per chunk
	chunkInertia []float64
	sums         []float64 // k × d, merged
	counts       []int
	centers      []float64
	centersNew   []float64
	farDistances []float64 // made on the first empty cluster only

	// assignChunk and inertiaChunk are bound once, so that starting a pass does not allocate closures.
	assignChunk  func(worker, chunk int)
	inertiaChunk func(worker, chunk int)
}

// lloydResult is one run's outcome; centers aliases the runner's buffer until the next run.
type lloydResult struct {
	centers   []float64
	inertia   float64
	nIter     int
	converged bool
	relocated int
}

func newLloydRunner(X *Matrix, k, workers int) *lloydRunner {
	d := X.Cols
	chunks := newRowChunks(X.Rows)
	workers = max(1, min(workers, chunks.count))
	l := &lloydRunner{
		X: X, k: k, d: d, workers: workers, chunks: chunks,
		finder:       newNearestFinder(k, d),
		scratch:      make([]nearestScratch, workers),
		labels:       make([]int, X.Rows),
		chunkSums:    make([]float64, chunks.count*k*d),
		chunkCounts:  make([]int, chunks.count*k),
		chunkChanged: make([]int, chunks.count),
		chunkInertia: make([]float64, chunks.count),
		sums:         make([]float64, k*d),
		counts:       make([]int, k),
		centers:      make([]float64, k*d),
		centersNew:   make([]float64, k*d),
	}
	for w := range l.scratch {
		l.scratch[w] = l.finder.newScratch()
	}
	l.assignChunk = l.assignAndSum
	l.inertiaChunk = l.chunkInertiaOf
	return l
}

// run performs one Lloyd run from init (k×d) and leaves the final labels in l.labels.
//
// Convergence as scikit-learn's _kmeans_single_lloyd: stop when no label changed (strict convergence), or when
// the summed squared centre shift is at most tolAbs. Without strict convergence the labels are recomputed
// against the final centres, so labels and centres agree.
func (l *lloydRunner) run(init []float64, maxIter int, tolAbs float64) lloydResult {
	copy(l.centers, init)
	for i := range l.labels {
		l.labels[i] = -1
	}
	var res lloydResult
	strict := false
	iter := 0
	for iter = 0; iter < maxIter; iter++ {
		changed := l.assign()
		relocated := l.updateCenters()
		res.relocated += relocated
		shift := 0.0
		for j := 0; j < l.k; j++ {
			shift += squaredDistance(l.centers[j*l.d:(j+1)*l.d], l.centersNew[j*l.d:(j+1)*l.d])
		}
		l.centers, l.centersNew = l.centersNew, l.centers
		// A relocation moves a centre without changing labels, so it cannot count as strict convergence
		// (scikit-learn would stop here with labels that no longer match the centres).
		if changed == 0 && relocated == 0 {
			strict = true
			res.converged = true
			break
		}
		if shift <= tolAbs {
			res.converged = true
			break
		}
	}
	res.nIter = min(iter+1, maxIter)
	if !strict {
		// As scikit-learn, relabel against the final centres; then, unlike scikit-learn (whose
		// cluster_centers_ are then the previous update's means), make the centres the means of these labels,
		// so centroids are always cluster means and the inertia is measured against them (it can only drop).
		l.assign()
		l.centersToMeans()
	}
	res.inertia = l.inertia()
	res.centers = l.centers
	return res
}

// assign labels every row with its nearest centre and accumulates per-chunk sums; it returns how many labels
// changed.
func (l *lloydRunner) assign() int {
	l.finder.setCentroids(l.centers)
	forEachChunk(l.workers, l.chunks, l.assignChunk)
	changed := 0
	for _, c := range l.chunkChanged {
		changed += c
	}
	return changed
}

func (l *lloydRunner) assignAndSum(worker, chunk int) {
	k, d := l.k, l.d
	sums := l.chunkSums[chunk*k*d : (chunk+1)*k*d]
	counts := l.chunkCounts[chunk*k : (chunk+1)*k]
	clear(sums)
	clear(counts)
	scratch := &l.scratch[worker]
	changed := 0
	lo, hi := l.chunks.bounds(chunk)
	for i := lo; i < hi; i++ {
		x := l.X.Row(i)
		j := l.finder.nearest(x, scratch)
		if l.labels[i] != j {
			l.labels[i] = j
			changed++
		}
		counts[j]++
		s := sums[j*d : (j+1)*d]
		for m, v := range x {
			s[m] += v
		}
	}
	l.chunkChanged[chunk] = changed
}

// updateCenters merges the chunks' sums in chunk order into centersNew, re-seeding empty clusters first; it
// returns the number of clusters re-seeded.
func (l *lloydRunner) updateCenters() int {
	k, d := l.k, l.d
	l.mergeChunks()
	relocated := l.relocateEmptyClusters()
	biggest := 0
	for j, n := range l.counts {
		if n > l.counts[biggest] {
			biggest = j
		}
	}
	for j := 0; j < k; j++ {
		dst := l.centersNew[j*d : (j+1)*d]
		if l.counts[j] == 0 {
			// Still empty (all rows coincide with their centres): park it on the biggest cluster, as
			// scikit-learn's _average_centers does, rather than at the origin.
			continue
		}
		inv := 1 / float64(l.counts[j])
		for m := range dst {
			dst[m] = l.sums[j*d+m] * inv
		}
	}
	for j := 0; j < k; j++ {
		if l.counts[j] == 0 {
			copy(l.centersNew[j*d:(j+1)*d], l.centersNew[biggest*d:(biggest+1)*d])
		}
	}
	return relocated
}

// centersToMeans sets the centres to the means of the current labels, from the last assign's sums; a cluster
// left empty keeps its centre.
func (l *lloydRunner) centersToMeans() {
	k, d := l.k, l.d
	l.mergeChunks()
	for j := 0; j < k; j++ {
		if l.counts[j] == 0 {
			continue
		}
		inv := 1 / float64(l.counts[j])
		for m := 0; m < d; m++ {
			l.centers[j*d+m] = l.sums[j*d+m] * inv
		}
	}
}

// mergeChunks adds the chunks' sums and counts in chunk order into sums and counts.
func (l *lloydRunner) mergeChunks() {
	k, d := l.k, l.d
	clear(l.sums)
	clear(l.counts)
	for c := 0; c < l.chunks.count; c++ {
		for i, v := range l.chunkSums[c*k*d : (c+1)*k*d] {
			l.sums[i] += v
		}
		for j, n := range l.chunkCounts[c*k : (c+1)*k] {
			l.counts[j] += n
		}
	}
}

// relocateEmptyClusters moves each empty cluster's centre onto one of the rows farthest from their current
// centre, taking that row's weight from its old cluster (sklearn.cluster._k_means_common.
// _relocate_empty_clusters_dense). The farthest rows are taken in decreasing distance, ties by row index.
func (l *lloydRunner) relocateEmptyClusters() int {
	k, d := l.k, l.d
	empty := 0
	for _, n := range l.counts {
		if n == 0 {
			empty++
		}
	}
	if empty == 0 {
		return 0
	}
	if l.farDistances == nil {
		l.farDistances = make([]float64, l.X.Rows)
	}
	far := l.farDistances
	maxDist := 0.0
	for i := range far {
		far[i] = squaredDistance(l.X.Row(i), l.centers[l.labels[i]*d:(l.labels[i]+1)*d])
		maxDist = max(maxDist, far[i])
	}
	if maxDist == 0 {
		return 0 // more clusters than distinct rows around: nothing to move
	}
	relocated := 0
	for newCluster := 0; newCluster < k; newCluster++ {
		if l.counts[newCluster] != 0 {
			continue
		}
		idx, best := -1, -1.0
		for i, v := range far {
			if v > best {
				idx, best = i, v
			}
		}
		if best <= 0 {
			break
		}
		far[idx] = math.Inf(-1) // taken
		old := l.labels[idx]
		x := l.X.Row(idx)
		for m, v := range x {
			l.sums[old*d+m] -= v
			l.sums[newCluster*d+m] = v
		}
		l.counts[old]--
		l.counts[newCluster] = 1
		relocated++
	}
	return relocated
}

// inertia is the sum of squared distances of rows to their assigned centre, computed exactly (not by the
// expanded form used for ranking), reduced chunk by chunk in order.
func (l *lloydRunner) inertia() float64 {
	forEachChunk(l.workers, l.chunks, l.inertiaChunk)
	total := 0.0
	for _, v := range l.chunkInertia {
		total += v
	}
	return total
}

func (l *lloydRunner) chunkInertiaOf(_, chunk int) {
	d := l.d
	lo, hi := l.chunks.bounds(chunk)
	s := 0.0
	for i := lo; i < hi; i++ {
		j := l.labels[i]
		s += squaredDistance(l.X.Row(i), l.centers[j*d:(j+1)*d])
	}
	l.chunkInertia[chunk] = s
}
