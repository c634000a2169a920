package algorithms

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// minibatch_kmeans: scikit-learn's MiniBatchKMeans (sklearn.cluster._kmeans, 1.2): centres move towards the
// mean of each random mini-batch's members with a per-centre learning rate 1/count, so that a fit costs a few
// hundred small batches instead of full passes over X.
//
// Params (scikit-learn names and defaults):
//   - n_init (3): k-means++ seedings, each on its own random subsample of init_size rows; the one with the
//     lowest inertia on a common validation subsample is kept (only one seeding is then optimised).
//   - max_iter (100): bound on the number of passes over X, in mini-batch steps: max_iter × n / batch_size.
//   - batch_size (1024), init_size (3 × batch_size, at least 3k).
//   - tol (0): stop when the summed squared centre change of a step is at most tol × mean feature variance.
//   - max_no_improvement (10): stop after this many steps without a new minimum of the exponentially weighted
//     average of the batch inertia; 0 disables this stop (scikit-learn uses None for that).
//   - reassignment_ratio (0.01): centres whose count falls below this fraction of the largest count are moved
//     to random rows of the current batch, as scikit-learn does to revive starved centres.
//
// Labels come from a final full nearest-centre pass over X; centroids are the means of those labels.

// miniBatchOptions are minibatch_kmeans' params after validation.
type miniBatchOptions struct {
	nInit, maxIter, batchSize, initSize int
	tol                                 float64
	maxNoImprovement                    int
	reassignmentRatio                   float64
}

func defaultMiniBatchOptions() miniBatchOptions {
	return miniBatchOptions{nInit: 3, maxIter: 100, batchSize: 1024, maxNoImprovement: 10, reassignmentRatio: 0.01}
}

var miniBatchParamNames = []string{"n_init", "max_iter", "batch_size", "init_size", "tol", "max_no_improvement",
	"reassignment_ratio"}

func readMiniBatchOptions(params map[string]any) (miniBatchOptions, error) {
	o := defaultMiniBatchOptions()
	p, err := newMethodParams("minibatch_kmeans", params, miniBatchParamNames...)
	if err != nil {
		return o, err
	}
	if o.nInit, err = p.nInitParam(o.nInit); err != nil {
		return o, err
	}
	if o.maxIter, err = p.intParam("max_iter", o.maxIter, 1); err != nil {
		return o, err
	}
	if o.batchSize, err = p.intParam("batch_size", o.batchSize, 1); err != nil {
		return o, err
	}
	if o.initSize, err = p.intParam("init_size", 0, 1); err != nil {
		return o, err
	}
	if o.tol, err = p.floatParam("tol", 0, 0); err != nil {
		return o, err
	}
	if o.maxNoImprovement, err = p.intParam("max_no_improvement", o.maxNoImprovement, 0); err != nil {
		return o, err
	}
	if o.reassignmentRatio, err = p.floatParam("reassignment_ratio", o.reassignmentRatio, 0); err != nil {
		return o, err
	}
	return o, nil
}

func fitMiniBatchKMeans(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	opt, err := readMiniBatchOptions(s.Params)
	if err != nil {
		return nil, err
	}
	if err := checkClusterInput("minibatch_kmeans", X, k); err != nil {
		return nil, err
	}
	res := runMiniBatchKMeans(X, k, s.Seed, effectiveWorkers(s.Workers), opt)
	if err := checkFitFinite("minibatch_kmeans", res.Report.Inertia); err != nil {
		return nil, err
	}
	return res, nil
}

// runMiniBatchKMeans fits validated input (MiniBatchKMeans.fit).
func runMiniBatchKMeans(X *Matrix, k int, seed uint64, workers int, opt miniBatchOptions) *Clustering {
	n, d := X.Rows, X.Cols
	rng := newSeededRand(seed)
	batch := min(opt.batchSize, n)
	initSize := opt.initSize
	if initSize == 0 {
		initSize = 3 * batch
		if initSize < k {
			initSize = 3 * k
		}
	} else if initSize < k {
		initSize = 3 * k
	}
	initSize = min(initSize, n)
	kd := newKMeansData(X, workers)
	tolAbs := kd.tolerance(opt.tol)

	// Seeding: k-means++ on random subsamples, judged on one shared validation subsample.
	validation := drawRowsWithReplacement(X, initSize, rng)
	var centers []float64
	bestInertia := math.Inf(1)
	for run := 0; run < opt.nInit; run++ {
		subsample := X
		if initSize < n {
			subsample = drawRowsWithReplacement(X, initSize, rng)
		}
		candidate := kmeansPlusPlus(newKMeansData(subsample, 1), k, rng)
		if inertia := batchInertia(validation, candidate, k); centers == nil || inertia < bestInertia {
			centers, bestInertia = candidate, inertia
		}
	}

	step := newMiniBatchStepper(X, k, batch, rng)
	copy(step.centers, centers)
	nSteps := opt.maxIter * n / batch
	var ewa, ewaMin float64
	haveEWA, haveMin := false, false
	noImprovement := 0
	converged := false
	i := 0
	for i = 0; i < nSteps; i++ {
		inertia, shift := step.step(opt.reassignmentRatio, tolAbs > 0)
		// MiniBatchKMeans._mini_batch_convergence: the first step's inertia reflects the seeding, so it is
		// ignored; later ones feed an exponentially weighted average whose stalling stops the fit.
		if i == 0 {
			continue
		}
		inertia /= float64(batch)
		if !haveEWA {
			ewa, haveEWA = inertia, true
		} else {
			alpha := min(float64(batch)*2/float64(n+1), 1)
			ewa = ewa*(1-alpha) + inertia*alpha
		}
		if tolAbs > 0 && shift <= tolAbs {
			converged = true
			break
		}
		if !haveMin || ewa < ewaMin {
			noImprovement, ewaMin, haveMin = 0, ewa, true
		} else {
			noImprovement++
		}
		if opt.maxNoImprovement > 0 && noImprovement >= opt.maxNoImprovement {
			converged = true
			break
		}
	}
	stepsDone := min(i+1, nSteps)

	// Final labels from a full pass over X against the mini-batch centres, which are the centroids reported,
	// as scikit-learn (compute_labels=True): every row is labelled with its nearest centroid, so the model
	// assigns these rows as the fit did, and the inertia is scikit-learn's.
	lloyd := newLloydRunner(kd, k)
	copy(lloyd.centers, step.centers)
	lloyd.assign()
	inertia := lloyd.inertia()
	finalCenters := append([]float64(nil), lloyd.centers...)
	res := &Clustering{
		Labels:    lloyd.labels,
		K:         k,
		Centroids: &Matrix{Rows: k, Cols: d, Data: finalCenters},
		Report: ClusterReport{
			Method:    "minibatch_kmeans",
			Inertia:   inertia,
			NIter:     (stepsDone*batch + n - 1) / n,
			Converged: converged,
		},
	}
	res.Model = &Model{Method: "minibatch_kmeans", Centroids: res.Centroids}
	if !converged {
		res.Report.Notes = append(res.Report.Notes, fmt.Sprintf(
			"minibatch_kmeans: stopped at max_iter = %d passes (%d mini-batches) before the smoothed batch "+
				"inertia stopped improving", opt.maxIter, stepsDone))
	}
	if step.reassigned > 0 {
		res.Report.Notes = append(res.Report.Notes, fmt.Sprintf(
			"minibatch_kmeans: %d low-count centre(s) were moved to random batch rows, as scikit-learn does",
			step.reassigned))
	}
	return res
}

// drawRowsWithReplacement draws size rows of X uniformly with replacement, as numpy's randint does for
// scikit-learn.
func drawRowsWithReplacement(X *Matrix, size int, rng *rand.Rand) *Matrix {
	s := NewMatrix(size, X.Cols)
	for i := 0; i < size; i++ {
		copy(s.Row(i), X.Row(rng.IntN(X.Rows)))
	}
	return s
}

// batchInertia is the inertia of X against centres (k×d), each row assigned to its nearest centre.
func batchInertia(X *Matrix, centers []float64, k int) float64 {
	d := X.Cols
	finder := newNearestFinder(k, d)
	finder.setCentroids(centers)
	scratch := finder.newScratch()
	total := 0.0
	for i := 0; i < X.Rows; i++ {
		j := finder.nearest(X.Row(i), &scratch)
		total += squaredDistance(X.Row(i), centers[j*d:(j+1)*d])
	}
	return total
}

// miniBatchStepper holds the state of the mini-batch iterations and their preallocated buffers.
type miniBatchStepper struct {
	X          *Matrix
	k, d       int
	rng        *rand.Rand
	finder     *nearestFinder
	scratch    nearestScratch
	batch      []int     // row indices of the current batch
	batchRows  []float64 // the batch's rows, gathered (batch × d)
	labels     []int
	centers    []float64
	centersNew []float64
	counts     []float64 // rows seen per centre, scikit-learn's weight_sums
	batchSums  []float64
	batchCount []float64
	perm       []int // scratch for drawing rows without replacement
	order      []int // scratch for sorting centres by count

	sinceReassign int
	reassigned    int
}

func newMiniBatchStepper(X *Matrix, k, batch int, rng *rand.Rand) *miniBatchStepper {
	d := X.Cols
	f := newNearestFinder(k, d)
	return &miniBatchStepper{
		X: X, k: k, d: d, rng: rng, finder: f, scratch: f.newScratch(),
		batch: make([]int, batch), batchRows: make([]float64, batch*d), labels: make([]int, batch),
		centers: make([]float64, k*d), centersNew: make([]float64, k*d),
		counts: make([]float64, k), batchSums: make([]float64, k*d), batchCount: make([]float64, k),
		perm: make([]int, batch), order: make([]int, k),
	}
}

// step draws a batch and moves the centres (sklearn.cluster._kmeans._mini_batch_step); it returns the batch's
// inertia against the centres before the move and, when wanted, the summed squared centre change.
func (m *miniBatchStepper) step(reassignmentRatio float64, wantShift bool) (inertia, shift float64) {
	k, d := m.k, m.d
	for b := range m.batch {
		m.batch[b] = m.rng.IntN(m.X.Rows)
	}
	// Gather the rows first: random rows of a large X miss the cache, and independent copies let the CPU
	// wait for many misses at once instead of one per distance computation (measured ~2x on 1M × 8).
	for b, row := range m.batch {
		copy(m.batchRows[b*d:(b+1)*d], m.X.Row(row))
	}
	// scikit-learn decides on reassignment before the step updates the counts.
	reassign := m.dueForReassignment() && reassignmentRatio > 0
	m.finder.setCentroids(m.centers)
	clear(m.batchSums)
	clear(m.batchCount)
	for b := range m.batch {
		x := m.batchRows[b*d : (b+1)*d]
		j := m.finder.nearest(x, &m.scratch)
		m.labels[b] = j
		inertia += squaredDistance(x, m.centers[j*d:(j+1)*d])
		m.batchCount[j]++
		s := m.batchSums[j*d : (j+1)*d]
		for f, v := range x {
			s[f] += v
		}
	}
	// _minibatch_update_dense: new centre = (old × count + sum of new members) / (count + members).
	for j := 0; j < k; j++ {
		old := m.centers[j*d : (j+1)*d]
		dst := m.centersNew[j*d : (j+1)*d]
		if m.batchCount[j] == 0 {
			copy(dst, old)
			continue
		}
		total := m.counts[j] + m.batchCount[j]
		for f := range dst {
			dst[f] = (old[f]*m.counts[j] + m.batchSums[j*d+f]) / total
		}
		m.counts[j] = total
	}
	if reassign {
		m.reassignLowCountCenters(reassignmentRatio)
	}
	if wantShift {
		for j := 0; j < k; j++ {
			shift += squaredDistance(m.centers[j*d:(j+1)*d], m.centersNew[j*d:(j+1)*d])
		}
	}
	m.centers, m.centersNew = m.centersNew, m.centers
	return inertia, shift
}

// dueForReassignment is MiniBatchKMeans._random_reassign: every 10·k rows seen, or whenever a centre is
// still empty.
func (m *miniBatchStepper) dueForReassignment() bool {
	m.sinceReassign += len(m.batch)
	anyEmpty := false
	for _, c := range m.counts {
		if c == 0 {
			anyEmpty = true
		}
	}
	if anyEmpty || m.sinceReassign >= 10*m.k {
		m.sinceReassign = 0
		return true
	}
	return false
}

// reassignLowCountCenters moves centres whose count is below ratio × the largest count onto distinct random
// rows of the batch (at most half the batch), and sets their count to the smallest remaining count so they
// are not reassigned again at once.
func (m *miniBatchStepper) reassignLowCountCenters(ratio float64) {
	k, d := m.k, m.d
	maxCount := 0.0
	for _, c := range m.counts {
		maxCount = max(maxCount, c)
	}
	threshold := ratio * maxCount
	toReassign := 0
	for _, c := range m.counts {
		if c < threshold {
			toReassign++
		}
	}
	if toReassign == 0 {
		return
	}
	limit := len(m.batch) / 2 // int(0.5 * batch_size)
	reassign := func(j int) bool { return m.counts[j] < threshold }
	if toReassign > limit {
		// Keep only the `limit` lowest counts, as scikit-learn's argsort does (stable, ties by index).
		for j := range m.order {
			m.order[j] = j
		}
		sort.SliceStable(m.order, func(a, b int) bool { return m.counts[m.order[a]] < m.counts[m.order[b]] })
		keep := make([]bool, k)
		for _, j := range m.order[:limit] {
			keep[j] = m.counts[j] < threshold
		}
		reassign = func(j int) bool { return keep[j] }
		toReassign = limit
	}
	minKept := math.Inf(1)
	for j, c := range m.counts {
		if !reassign(j) {
			minKept = min(minKept, c)
		}
	}
	if math.IsInf(minKept, 1) {
		return // reassignment_ratio > 1 flags every centre; moving them all would discard the fit
	}
	// Distinct batch rows, by a partial Fisher–Yates shuffle.
	for b := range m.perm {
		m.perm[b] = b
	}
	picked := 0
	flagged := make([]int, 0, toReassign)
	for j := 0; j < k; j++ {
		if reassign(j) {
			flagged = append(flagged, j)
		}
	}
	for _, j := range flagged {
		r := picked + m.rng.IntN(len(m.perm)-picked)
		m.perm[picked], m.perm[r] = m.perm[r], m.perm[picked]
		b := m.perm[picked]
		copy(m.centersNew[j*d:(j+1)*d], m.batchRows[b*d:(b+1)*d])
		picked++
		m.counts[j] = minKept
	}
	m.reassigned += len(flagged)
}
