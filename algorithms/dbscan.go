package algorithms

import (
	"fmt"
	"math"
	"sync/atomic"
)

// MaxDBSCANModelCorePoints caps the core points a DBSCAN model stores for Predict. A model is saved as JSON
// with every version, so it must stay small: 50,000 points of 10 features is about 10 MB of JSON. Above the
// cap the model keeps a seeded sample of the core points (plus the first core point of any cluster the sample
// missed, so every cluster stays predictable) and the fit says so in a note.
const MaxDBSCANModelCorePoints = 50000

// DBSCANParams hold what DBSCAN needs to assign new rows: the radius and the core points with their
// clusters. A new row joins the cluster of the nearest stored core point within Eps, else it is Noise;
// scikit-learn's DBSCAN has no predict, and this is the rule its fit applies to border points (up to which
// cluster wins when cores of two clusters are in reach).
type DBSCANParams struct {
	// Eps is the neighbourhood radius the model was fitted with.
	Eps float64 `json:"eps"`
	// MinSamples is the fit's min_samples, kept for the record: prediction only needs the core points.
	MinSamples int `json:"min_samples"`
	// CorePoints are core samples in the prepared space, one per row; CoreLabels[i] is row i's cluster.
	CorePoints *Matrix `json:"core_points"`
	CoreLabels []int   `json:"core_labels"`
	// TotalCorePoints is how many core points the fit found; more than CorePoints.Rows when the model keeps
	// a sample (see MaxDBSCANModelCorePoints).
	TotalCorePoints int `json:"total_core_points"`
}

// Predict assigns each row of X to the cluster of the nearest stored core point within Eps, the earliest
// stored point on ties, and to Noise when no core point is that close. Rows whose width differs from the
// model's, or that hold NaN, are Noise.
func (d *DBSCANParams) Predict(X *Matrix) []int {
	if X == nil {
		return nil
	}
	labels := make([]int, X.Rows)
	for i := range labels {
		labels[i] = Noise
	}
	if d == nil || d.CorePoints == nil || d.CorePoints.Rows == 0 || X.Cols != d.CorePoints.Cols ||
		len(d.CoreLabels) != d.CorePoints.Rows || len(d.CorePoints.Data) != d.CorePoints.Rows*d.CorePoints.Cols {
		return labels
	}
	tree := newKDTree(d.CorePoints, 0)
	r2 := d.Eps * d.Eps
	workers := effectiveWorkers(0)
	stacks := make([][]int32, workers)
	forChunks(X.Rows, workers, 512, func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			var p int
			p, stacks[w] = tree.nearestWithin(X.Row(i), r2, stacks[w])
			if p >= 0 {
				labels[i] = d.CoreLabels[tree.orig[p]]
			}
		}
	})
	return labels
}

// readDBSCANParams reads eps (required, > 0) and min_samples (default 5).
func readDBSCANParams(params map[string]any) (eps float64, minSamples int, err error) {
	p, err := newMethodParams("dbscan", params, "eps", "min_samples")
	if err != nil {
		return 0, 0, err
	}
	if !p.has("eps") {
		return 0, 0, fmt.Errorf("dbscan: parameter eps is required: the neighbourhood radius in the prepared feature space")
	}
	eps, err = p.floatParam("eps", 0, math.Inf(-1)) // the check below says why eps must be positive
	if err != nil {
		return 0, 0, err
	}
	if eps <= 0 {
		return 0, 0, fmt.Errorf("dbscan: eps must be > 0, got %v", eps)
	}
	minSamples, err = p.intParam("min_samples", 5, 1)
	return eps, minSamples, err
}

// fitDBSCAN clusters X with DBSCAN (k is ignored). Params: eps (required, > 0), the neighbourhood radius;
// min_samples (default 5), how many points, the point itself included as in scikit-learn, make a
// neighbourhood dense enough for a core point.
func fitDBSCAN(X *Matrix, _ int, s ClusterSpec) (*Clustering, error) {
	if X == nil || X.Rows == 0 {
		return nil, ErrEmptyInput
	}
	eps, minSamples, err := readDBSCANParams(s.Params)
	if err != nil {
		return nil, err
	}
	if len(X.Data) != X.Rows*X.Cols {
		return nil, fmt.Errorf("dbscan: matrix data has %d values, want %d×%d", len(X.Data), X.Rows, X.Cols)
	}
	if X.Rows > math.MaxInt32 {
		return nil, fmt.Errorf("dbscan: %d rows exceed the %d the k-d tree indexes", X.Rows, math.MaxInt32)
	}
	if err := requireFinite("dbscan", X); err != nil {
		return nil, err
	}

	labels, core, k := dbscanPartition(X, eps, minSamples, s.Workers)

	centroids := clusterMeans(X, labels, k)
	noise := 0
	for _, l := range labels {
		if l == Noise {
			noise++
		}
	}
	model := &DBSCANParams{Eps: eps, MinSamples: minSamples}
	var notes []string
	switch {
	case k == 0:
		notes = append(notes, fmt.Sprintf("every row is noise: no row has min_samples=%d rows within eps=%g; "+
			"increase eps or lower min_samples", minSamples, eps))
	case noise > 0:
		notes = append(notes, fmt.Sprintf("%d of %d rows (%.1f%%) are noise (label %d)", noise, X.Rows,
			100*float64(noise)/float64(X.Rows), Noise))
	}
	coreRows := make([]int, 0)
	for i, c := range core {
		if c {
			coreRows = append(coreRows, i)
		}
	}
	model.TotalCorePoints = len(coreRows)
	kept := keepCorePoints(coreRows, labels, k, MaxDBSCANModelCorePoints, s.Seed)
	if len(kept) < len(coreRows) {
		notes = append(notes, fmt.Sprintf("the model keeps a seeded sample of %d of %d core points to predict new rows",
			len(kept), len(coreRows)))
	}
	model.CorePoints = gatherRows(X, kept)
	model.CoreLabels = make([]int, len(kept))
	for i, r := range kept {
		model.CoreLabels[i] = labels[r]
	}
	return &Clustering{
		Labels:    labels,
		K:         k,
		Centroids: centroids,
		Model:     &Model{Method: "dbscan", Centroids: centroids, DBSCAN: model},
		Report: ClusterReport{
			Method:    "dbscan",
			Inertia:   Inertia(X, labels, centroids),
			Converged: true,
			Notes:     notes,
		},
	}, nil
}

// keepCorePoints returns the core rows a model stores: all of them up to limit, else a seeded sample of
// limit rows plus the first core row of every cluster the sample missed.
func keepCorePoints(coreRows, labels []int, k, limit int, seed uint64) []int {
	if len(coreRows) <= limit {
		return coreRows
	}
	sample := seededRowSample(len(coreRows), limit, seed)
	covered := make([]bool, k)
	taken := make([]bool, len(coreRows))
	for _, i := range sample {
		taken[i] = true
		covered[labels[coreRows[i]]] = true
	}
	for i, r := range coreRows {
		if !covered[labels[r]] {
			covered[labels[r]] = true
			taken[i] = true
		}
	}
	kept := make([]int, 0, limit)
	for i, t := range taken {
		if t {
			kept = append(kept, coreRows[i])
		}
	}
	return kept
}

// dbscanPartition computes scikit-learn's DBSCAN labels for X (Euclidean metric, no sample weights) and
// which rows are core points; k is the number of clusters.
//
// scikit-learn (cluster/_dbscan.py and _dbscan_inner.pyx, 1.2) finds every row's eps-neighbourhood (itself
// included), marks rows with at least min_samples neighbours as core, and then visits rows in index order:
// each unlabelled core row starts a new cluster, grown depth-first through core rows, labelling the
// non-core rows it touches. So
//   - a cluster is a connected component of the graph linking core rows within eps,
//   - clusters are numbered in order of their lowest-index core row, and
//   - a non-core row within eps of cores of several clusters gets the one numbered first (it is labelled by
//     the first cluster grown that reaches it, and never relabelled); with none in reach it is Noise.
//
// That characterisation needs no stored neighbourhoods and no particular visiting order, so it is computed
// in four parallel passes over a k-d tree, each row's neighbourhood being found again where needed rather
// than kept (a dense data set can have n² neighbour pairs; scikit-learn keeps them all and can run out of
// memory there):
//  1. core flags, counting neighbours only until min_samples is reached;
//  2. components of core rows, joining each core row to the core rows after it in tree order with a
//     lock-free union-find (one link per box narrower than eps, whose core rows are joined up front);
//  3. cluster numbers, by lowest input row of each component;
//  4. each non-core row's label, the smallest cluster number among the core rows within eps.
func dbscanPartition(X *Matrix, eps float64, minSamples, workers int) (labels []int, core []bool, k int) {
	n := X.Rows
	tree := newKDTree(X, 0)
	r2 := eps * eps
	workers = effectiveWorkers(workers)
	stacks := make([][]int32, workers)

	// Pass 1: core flags, by tree position.
	isCore := make([]bool, n)
	forChunks(n, workers, 256, func(w, lo, hi int) {
		for p := lo; p < hi; p++ {
			var c int
			c, stacks[w] = tree.countWithin(tree.point(p), r2, minSamples, stacks[w])
			isCore[p] = c >= minSamples
		}
	})
	// Core points per node, so the passes below skip boxes without any. Nodes are stored in pre-order, so
	// children come after their parent and a reverse sweep sees them first.
	nodeCores := make([]int32, len(tree.nodes))
	for id := len(tree.nodes) - 1; id >= 0; id-- {
		nd := tree.nodes[id]
		if nd.left >= 0 {
			nodeCores[id] = nodeCores[nd.left] + nodeCores[nd.right]
			continue
		}
		for p := nd.start; p < nd.end; p++ {
			if isCore[p] {
				nodeCores[id]++
			}
		}
	}

	// Pass 2: components of core points. A "tight" box, whose diagonal is at most eps, has all its points
	// within eps of each other, so its core points form one connected set: join them once up front, and
	// afterwards one link from a core point into a tight box is enough. In dense regions this replaces
	// most of the pair-by-pair work.
	parent := make([]int32, n)
	for p := range parent {
		parent[p] = int32(p)
	}
	tight := make([]bool, len(tree.nodes))
	for id := range tree.nodes {
		lo := tree.bounds[2*id*tree.dim : (2*id+1)*tree.dim]
		hi := tree.bounds[(2*id+1)*tree.dim : (2*id+2)*tree.dim]
		tight[id] = sumSqDiff(hi, lo) <= r2 // bounds every pair's distance exactly (monotone rounding)
	}
	joinTightBoxes(tree, 0, tight, isCore, parent)
	forChunks(n, workers, 256, func(w, lo, hi int) {
		stack := stacks[w]
		for p := lo; p < hi; p++ {
			if !isCore[p] {
				continue
			}
			q := tree.point(p)
			stack = append(stack[:0], 0)
			for len(stack) > 0 {
				id := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				nd := &tree.nodes[id]
				// Pairs are joined once, from their lower tree position: skip boxes lying wholly at or
				// before p, and boxes with no core point.
				if int(nd.end) <= p+1 || nodeCores[id] == 0 {
					continue
				}
				near, far := tree.boxDistances(id, q)
				if near > r2 {
					continue
				}
				if nd.left >= 0 && far > r2 && !tight[id] {
					stack = append(stack, nd.right, nd.left)
					continue
				}
				for j := max(int(nd.start), p+1); j < int(nd.end); j++ {
					if isCore[j] && (far <= r2 || sumSqDiff(q, tree.point(j)) <= r2) {
						unionCores(parent, int32(p), int32(j))
						if tight[id] {
							break // the box's other core points are already joined to j
						}
					}
				}
			}
		}
		stacks[w] = stack
	})

	// Pass 3: number components by their lowest input row, as scikit-learn's index-order visit does.
	position := make([]int32, n)
	for p, row := range tree.orig {
		position[row] = int32(p)
	}
	cluster := make([]int32, n) // by tree position
	rootLabel := make([]int32, n)
	for i := range rootLabel {
		rootLabel[i] = -1
	}
	for row := 0; row < n; row++ {
		p := position[row]
		if !isCore[p] {
			continue
		}
		r := findCore(parent, p)
		if rootLabel[r] < 0 {
			rootLabel[r] = int32(k)
			k++
		}
		cluster[p] = rootLabel[r]
	}

	// Pass 4: non-core points take the smallest cluster number among the cores within eps.
	forChunks(n, workers, 256, func(w, lo, hi int) {
		stack := stacks[w]
		for p := lo; p < hi; p++ {
			if isCore[p] {
				continue
			}
			best := int32(math.MaxInt32)
			q := tree.point(p)
			stack = append(stack[:0], 0)
			for len(stack) > 0 {
				id := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				nd := &tree.nodes[id]
				if nodeCores[id] == 0 {
					continue
				}
				near, far := tree.boxDistances(id, q)
				if near > r2 {
					continue
				}
				if nd.left >= 0 && far > r2 {
					stack = append(stack, nd.right, nd.left)
					continue
				}
				for j := int(nd.start); j < int(nd.end); j++ {
					if isCore[j] && cluster[j] < best && (far <= r2 || sumSqDiff(q, tree.point(j)) <= r2) {
						best = cluster[j]
					}
				}
			}
			if best == math.MaxInt32 {
				cluster[p] = Noise
			} else {
				cluster[p] = best
			}
		}
		stacks[w] = stack
	})

	labels = make([]int, n)
	core = make([]bool, n)
	for p, row := range tree.orig {
		labels[row] = int(cluster[p])
		core[row] = isCore[p]
	}
	return labels, core, k
}

// joinTightBoxes joins the core points of every maximal tight box under node id into one set.
func joinTightBoxes(tree *kdTree, id int32, tight, isCore []bool, parent []int32) {
	nd := tree.nodes[id]
	if !tight[id] {
		if nd.left >= 0 {
			joinTightBoxes(tree, nd.left, tight, isCore, parent)
			joinTightBoxes(tree, nd.right, tight, isCore, parent)
		}
		return
	}
	first := int32(-1)
	for p := nd.start; p < nd.end; p++ {
		if !isCore[p] {
			continue
		}
		if first < 0 {
			first = p
			continue
		}
		unionCores(parent, first, p)
	}
}

// findCore returns the root of x's set. Parents always have lower indices than their children, so chains
// are acyclic whatever the interleaving of concurrent unions; path halving keeps them short.
func findCore(parent []int32, x int32) int32 {
	for {
		p := atomic.LoadInt32(&parent[x])
		if p == x {
			return x
		}
		gp := atomic.LoadInt32(&parent[p])
		if gp == p {
			return p
		}
		atomic.CompareAndSwapInt32(&parent[x], p, gp)
		x = gp
	}
}

// unionCores merges the sets of a and b, linking the higher root under the lower. The compare-and-swap only
// succeeds while the linked node is still a root, so concurrent unions never lose a link.
func unionCores(parent []int32, a, b int32) {
	for {
		a, b = findCore(parent, a), findCore(parent, b)
		if a == b {
			return
		}
		if a < b {
			a, b = b, a
		}
		if atomic.CompareAndSwapInt32(&parent[a], a, b) {
			return
		}
	}
}
