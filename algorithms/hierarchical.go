package algorithms

import (
	"fmt"
	"math"
	"sort"
)

// Agglomerative clustering needs all pairwise distances, so its memory and time grow with the square of the
// rows it fits. The Ward, average and complete linkages keep a condensed distance matrix of n(n-1)/2 float64,
// 4n² bytes: 10,000 rows take 400 MB, 15,000 rows 900 MB. Single linkage needs only O(n) memory (Prim's
// minimum spanning tree) but still O(n²) time. Above the sample limit the fit runs on a seeded sample and
// assigns the other rows to the nearest cluster mean, so no input size can exhaust memory.
const (
	// DefaultHierarchicalSampleLimit is the default of the sample_limit parameter: the most rows fitted
	// directly (400 MB of distances).
	DefaultHierarchicalSampleLimit = 10000
	// MaxHierarchicalSampleLimit is the largest sample_limit accepted (900 MB of distances).
	MaxHierarchicalSampleLimit = 15000
)

// hierarchicalLinkages are the linkage criteria, in the order the docs list them; ward is the default, as in
// scikit-learn.
var hierarchicalLinkages = []string{"ward", "average", "complete", "single"}

// fitHierarchical clusters X into k clusters by agglomerative clustering, reproducing scikit-learn's
// AgglomerativeClustering(n_clusters=k, linkage=...) partition and label numbering. Params: linkage (ward,
// average, complete or single; default ward) and sample_limit (default DefaultHierarchicalSampleLimit, at
// most MaxHierarchicalSampleLimit).
//
// Centroids are the cluster means, and the model predicts by nearest centroid: the only assignment rule a
// dendrogram supports for rows it never saw.
// readHierarchicalParams reads linkage and sample_limit.
func readHierarchicalParams(params map[string]any) (linkage string, limit int, err error) {
	p, err := newMethodParams("hierarchical", params, "linkage", "sample_limit")
	if err != nil {
		return "", 0, err
	}
	if linkage, err = p.stringParam("linkage", "ward", hierarchicalLinkages...); err != nil {
		return "", 0, err
	}
	if limit, err = p.intParam("sample_limit", DefaultHierarchicalSampleLimit, 1); err != nil {
		return "", 0, err
	}
	if limit > MaxHierarchicalSampleLimit {
		return "", 0, fmt.Errorf("hierarchical: sample_limit must be in 1..%d (the distance matrix of n rows takes "+
			"4n² bytes), got %d", MaxHierarchicalSampleLimit, limit)
	}
	return linkage, limit, nil
}

func fitHierarchical(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	if X == nil || X.Rows == 0 {
		return nil, ErrEmptyInput
	}
	linkage, limit, err := readHierarchicalParams(s.Params)
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("hierarchical: k must be >= 1, got %d", k)
	}
	if k > X.Rows {
		return nil, fmt.Errorf("hierarchical: k=%d exceeds the %d rows to cluster", k, X.Rows)
	}
	if k > limit {
		return nil, fmt.Errorf("hierarchical: k=%d exceeds sample_limit=%d", k, limit)
	}
	if len(X.Data) != X.Rows*X.Cols {
		return nil, fmt.Errorf("hierarchical: matrix data has %d values, want %d×%d", len(X.Data), X.Rows, X.Cols)
	}
	if err := requireFinite("hierarchical", X); err != nil {
		return nil, err
	}

	var notes []string
	fitX, sample := X, []int(nil)
	if X.Rows > limit {
		sample = seededRowSample(X.Rows, limit, s.Seed)
		fitX = gatherRows(X, sample)
	}
	fitLabels := agglomerate(fitX, k, linkage, s.Workers)
	labels := fitLabels
	if sample != nil {
		// Rows outside the sample go to the nearest mean of the sample's clusters; sampled rows keep the
		// dendrogram's labels.
		labels = nearestCentroidLabels(clusterMeans(fitX, fitLabels, k), X, s.Workers)
		for i, r := range sample {
			labels[r] = fitLabels[i]
		}
		notes = append(notes, fmt.Sprintf("fitted on a seeded sample of %d of %d rows; other rows assigned to "+
			"the nearest centroid", limit, X.Rows))
	}
	centroids := clusterMeans(X, labels, k)
	return &Clustering{
		Labels:    labels,
		K:         k,
		Centroids: centroids,
		Model:     &Model{Method: "hierarchical", Centroids: centroids},
		Report: ClusterReport{
			Method:    "hierarchical",
			Inertia:   Inertia(X, labels, centroids),
			Converged: true,
			Notes:     notes,
		},
	}, nil
}

// agglomerate builds the full dendrogram of X's rows with the given linkage and cuts it into k clusters.
func agglomerate(X *Matrix, k int, linkage string, workers int) []int {
	n := X.Rows
	if n == 1 {
		return []int{0}
	}
	var children [][2]int
	if linkage == "single" {
		children = singleLinkageTree(X)
	} else {
		children = chainLinkageTree(X, linkage, workers)
	}
	return cutTree(children, n, k)
}

// chainLinkageTree returns the merges of Ward, average or complete linkage as scikit-learn 1.2 gets them
// from SciPy 1.10 (scipy.cluster.hierarchy.linkage, _hierarchy.nn_chain): children[i] are the two nodes
// merged into node n+i, leaves being 0..n-1. Every step is reproduced, not just the algorithm, so that exact
// distance ties (duplicate rows are common) resolve the way SciPy resolves them:
//   - distances are pdist's, sqrt of the squared differences summed in column order;
//   - the nearest-neighbour chain scans clusters in index order, keeps the first strict minimum and
//     prefers the previous chain element on ties; the merged cluster takes the higher slot;
//   - Lance-Williams updates use SciPy's exact formulas and operation order;
//   - merges are stably sorted by distance, then renumbered with SciPy's union-find (lower root first).
func chainLinkageTree(X *Matrix, linkage string, workers int) [][2]int {
	n := X.Rows
	// rowBase[i] + j is the condensed index of pair (i, j) for i < j: SciPy's condensed_index,
	// n*i - i*(i+1)/2 + (j-i-1), with the part depending on i precomputed.
	rowBase := make([]int, n)
	for i := range rowBase {
		rowBase[i] = n*i - i*(i+1)/2 - i - 1
	}
	dist := make([]float64, n*(n-1)/2)
	forChunks(n, workers, 16, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xi := X.Row(i)
			base := rowBase[i]
			for j := i + 1; j < n; j++ {
				dist[base+j] = math.Sqrt(sumSqDiff(xi, X.Row(j)))
			}
		}
	})

	return linkageTreeFromDistances(dist, n, linkage)
}

// linkageTreeFromDistances is chainLinkageTree on a condensed distance matrix given directly (SciPy's
// linkage(y) of a condensed y), which it overwrites: consensus clustering cuts 1 - co-association this way.
func linkageTreeFromDistances(dist []float64, n int, linkage string) [][2]int {
	rowBase := make([]int, n)
	for i := range rowBase {
		rowBase[i] = n*i - i*(i+1)/2 - i - 1
	}
	update := lanceWilliams(linkage)
	size := make([]int, n)
	for i := range size {
		size[i] = 1
	}
	// active lists live cluster slots in increasing order: scanning it visits clusters in SciPy's order
	// while skipping the dead slots SciPy's loop tests and passes over.
	active := make([]int, n)
	for i := range active {
		active[i] = i
	}
	type merge struct {
		x, y int
		d    float64
	}
	merges := make([]merge, 0, n-1)
	chain := make([]int, 0, n)
	for len(merges) < n-1 {
		if len(chain) == 0 {
			chain = append(chain, active[0])
		}
		var x, y int
		var current float64
		for {
			x = chain[len(chain)-1]
			current = math.Inf(1)
			if len(chain) > 1 {
				y = chain[len(chain)-2]
				current = dist[rowBase[min(x, y)]+max(x, y)]
			}
			// Clusters below x are found down column x (condensed index rowBase[i]+x), those above along
			// row x (rowBase[x]+i); scanning the two halves separately keeps SciPy's index order without
			// a branch per cluster.
			pos := sort.SearchInts(active, x)
			for _, i := range active[:pos] {
				if d := dist[rowBase[i]+x]; d < current {
					current, y = d, i
				}
			}
			base := rowBase[x]
			for _, i := range active[pos+1:] {
				if d := dist[base+i]; d < current {
					current, y = d, i
				}
			}
			if len(chain) > 1 && y == chain[len(chain)-2] {
				break
			}
			chain = append(chain, y)
		}
		chain = chain[:len(chain)-2]
		if x > y {
			x, y = y, x
		}
		nx, ny := size[x], size[y]
		merges = append(merges, merge{x, y, current})
		size[x] = 0
		size[y] = nx + ny
		for _, i := range active {
			if i == x || i == y {
				continue
			}
			ix, iy := rowBase[x]+i, rowBase[y]+i
			if i < x {
				ix = rowBase[i] + x
			}
			if i < y {
				iy = rowBase[i] + y
			}
			dist[iy] = update(dist[ix], dist[iy], current, nx, ny, size[i])
		}
		// Slot x is dead from now on.
		pos := sort.SearchInts(active, x)
		active = append(active[:pos], active[pos+1:]...)
	}
	sort.SliceStable(merges, func(a, b int) bool { return merges[a].d < merges[b].d })

	// SciPy's label(): node ids follow the sorted order; each merge names the current roots of its two
	// slots, lower root first.
	parent := make([]int, 2*n-1)
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		root := x
		for parent[root] != root {
			root = parent[root]
		}
		for parent[x] != root {
			parent[x], x = root, parent[x]
		}
		return root
	}
	children := make([][2]int, n-1)
	for i, m := range merges {
		rx, ry := find(m.x), find(m.y)
		if rx > ry {
			rx, ry = ry, rx
		}
		children[i] = [2]int{rx, ry}
		parent[rx], parent[ry] = n+i, n+i
	}
	return children
}

// lanceWilliams returns SciPy's distance update for the distance between cluster i and the merger of
// clusters x and y (scipy/cluster/_hierarchy_distance_update.pxi), keeping its operation order and rounding
// every product so no fused multiply-add changes a result.
func lanceWilliams(linkage string) func(dxi, dyi, dxy float64, nx, ny, ni int) float64 {
	switch linkage {
	case "average":
		return func(dxi, dyi, _ float64, nx, ny, _ int) float64 {
			return (float64(float64(nx)*dxi) + float64(float64(ny)*dyi)) / float64(nx+ny)
		}
	case "complete":
		return func(dxi, dyi, _ float64, _, _, _ int) float64 {
			if dxi > dyi {
				return dxi
			}
			return dyi
		}
	default: // ward
		return func(dxi, dyi, dxy float64, nx, ny, ni int) float64 {
			t := 1.0 / float64(nx+ny+ni)
			a := float64(float64(float64(float64(ni+nx)*t)*dxi) * dxi)
			b := float64(float64(float64(float64(ni+ny)*t)*dyi) * dyi)
			c := float64(float64(float64(float64(ni)*t)*dxy) * dxy)
			return math.Sqrt(float64(a+b) - c)
		}
	}
}

// singleLinkageTree returns single linkage's merges as scikit-learn 1.2 computes them
// (cluster/_hierarchical_fast.pyx): Prim's minimum spanning tree grown from row 0, taking at each step the
// first row in index order at the smallest distance (with O(n) memory, distances computed as needed), its
// edges stably sorted by length and turned into merges by scikit-learn's union-find, which names the two
// roots in edge order.
func singleLinkageTree(X *Matrix) [][2]int {
	n := X.Rows
	type edge struct {
		a, b int
		d    float64
	}
	edges := make([]edge, 0, n-1)
	nearest := make([]float64, n)
	for i := range nearest {
		nearest[i] = math.Inf(1)
	}
	// outside lists rows not yet in the tree, in increasing order, which is the order the scan must keep.
	outside := make([]int, 0, n-1)
	for i := 1; i < n; i++ {
		outside = append(outside, i)
	}
	current := 0
	for len(outside) > 0 {
		cur := X.Row(current)
		next, nextD, nextPos := 0, math.Inf(1), -1
		for pos, j := range outside {
			if d := math.Sqrt(sumSqDiff(cur, X.Row(j))); d < nearest[j] {
				nearest[j] = d
			}
			if nearest[j] < nextD {
				next, nextD, nextPos = j, nearest[j], pos
			}
		}
		if nextPos < 0 {
			// Unreachable with finite input (requireFinite); scikit-learn would pick row 0 here.
			nextPos = 0
			next = outside[0]
		}
		edges = append(edges, edge{current, next, nextD})
		outside = append(outside[:nextPos], outside[nextPos+1:]...)
		current = next
	}
	sort.SliceStable(edges, func(a, b int) bool { return edges[a].d < edges[b].d })

	parent := make([]int, 2*n-1)
	for i := range parent {
		parent[i] = -1
	}
	find := func(x int) int {
		root := x
		for parent[root] != -1 {
			root = parent[root]
		}
		for x != root && parent[x] != root {
			parent[x], x = root, parent[x]
		}
		return root
	}
	children := make([][2]int, n-1)
	for i, e := range edges {
		ra, rb := find(e.a), find(e.b)
		children[i] = [2]int{ra, rb}
		parent[ra], parent[rb] = n+i, n+i
	}
	return children
}

// cutTree cuts a dendrogram of n leaves into k clusters the way scikit-learn's _hc_cut does, so that labels
// are numbered as scikit-learn numbers them, not just grouped alike: starting from the root it splits the
// highest-numbered node k-1 times, keeping the nodes in a Python heapq list of negated ids, and numbers the
// final nodes in that list's order.
func cutTree(children [][2]int, n, k int) []int {
	root := max(children[n-2][0], children[n-2][1]) + 1
	heap := []int{-root}
	for range k - 1 {
		c := children[-heap[0]-n]
		heap = heapPush(heap, -c[0])
		heapPushPop(heap, -c[1])
	}
	labels := make([]int, n)
	stack := make([]int, 0, 64)
	for label, node := range heap {
		stack = append(stack[:0], -node)
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if v < n {
				labels[v] = label
				continue
			}
			stack = append(stack, children[v-n][0], children[v-n][1])
		}
	}
	return labels
}

// heapPush is Python's heapq.heappush.
func heapPush(heap []int, item int) []int {
	heap = append(heap, item)
	heapSiftDown(heap, 0, len(heap)-1)
	return heap
}

// heapPushPop is Python's heapq.heappushpop: push item, then pop and return the smallest.
func heapPushPop(heap []int, item int) int {
	if len(heap) > 0 && heap[0] < item {
		item, heap[0] = heap[0], item
		heapSiftUp(heap, 0)
	}
	return item
}

// heapSiftDown is heapq._siftdown: move heap[pos] up towards startpos while it is smaller than its parent.
func heapSiftDown(heap []int, startpos, pos int) {
	item := heap[pos]
	for pos > startpos {
		parentpos := (pos - 1) >> 1
		if parent := heap[parentpos]; item < parent {
			heap[pos] = parent
			pos = parentpos
			continue
		}
		break
	}
	heap[pos] = item
}

// heapSiftUp is heapq._siftup: move the smaller child up until a leaf is reached, then sift item into place.
func heapSiftUp(heap []int, pos int) {
	end, start := len(heap), pos
	item := heap[pos]
	child := 2*pos + 1
	for child < end {
		if right := child + 1; right < end && !(heap[child] < heap[right]) {
			child = right
		}
		heap[pos] = heap[child]
		pos = child
		child = 2*pos + 1
	}
	heap[pos] = item
	heapSiftDown(heap, start, pos)
}
