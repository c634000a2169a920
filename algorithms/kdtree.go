package algorithms

// kdTree indexes a matrix's rows for Euclidean radius and nearest-neighbour queries, so that DBSCAN on
// low-dimensional data costs about n log n instead of n². It is immutable once built, and every query takes
// its own scratch stack, so any number of goroutines may query one tree at once.
//
// Points are copied into tree order: the points of every node occupy one contiguous range of positions,
// which keeps a query's memory accesses local and lets callers skip whole position ranges. Queries speak in
// tree positions; orig maps a position back to its input row.
//
// Distances are compared squared, summed in column order (sumSqDiff), exactly as scikit-learn's KDTree tests
// a candidate point against eps² at a leaf, so "within eps" means the same set of points here and there.
// Box bounds prune and accept whole nodes; because rounding is monotone, a box bound computed the same way
// can never disagree with the per-point test (a point inside a box is never farther than the box's far
// corner, nor nearer than its near face, in floating point too).
type kdTree struct {
	dim    int
	coords []float64 // the point at tree position p is coords[p*dim : (p+1)*dim]
	orig   []int32   // orig[p] is the input row at tree position p
	nodes  []kdNode
	bounds []float64 // node i's box: lower corner at bounds[2*i*dim:], upper corner at bounds[(2*i+1)*dim:]
}

// kdNode is one box of the tree: the points at positions [start, end), split between two children unless it
// is a leaf.
type kdNode struct {
	start, end  int32
	left, right int32 // child node indices; left < 0 marks a leaf
}

const (
	// kdLeafSize is the most points a leaf holds; scikit-learn's default leaf_size is 30.
	kdLeafSize = 32
	// kdMaxTreeDims is the dimension above which the tree is a single leaf, i.e. brute force: in high
	// dimensions boxes rarely prune, so the tree only adds overhead. scikit-learn's algorithm="auto"
	// switches to brute force above 15 features too.
	kdMaxTreeDims = 15
)

// newKDTree indexes X's rows; leafSize <= 0 means kdLeafSize, or a single leaf above kdMaxTreeDims columns.
func newKDTree(X *Matrix, leafSize int) *kdTree {
	n, dim := X.Rows, X.Cols
	if leafSize <= 0 {
		leafSize = kdLeafSize
		if dim > kdMaxTreeDims {
			leafSize = max(n, 1)
		}
	}
	t := &kdTree{dim: dim}
	if n == 0 {
		return t
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	// A balanced tree with leaves of at least leafSize/2 points has fewer than 4n/leafSize nodes.
	t.nodes = make([]kdNode, 0, 4*n/leafSize+2)
	t.bounds = make([]float64, 0, cap(t.nodes)*2*dim)
	t.build(X, perm, 0, n, leafSize)
	t.coords = make([]float64, n*dim)
	for p, row := range perm {
		copy(t.coords[p*dim:(p+1)*dim], X.Row(int(row)))
	}
	t.orig = perm
	return t
}

// build adds the node for perm[start:end] and its subtree, returning the node's index.
func (t *kdTree) build(X *Matrix, perm []int32, start, end, leafSize int) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{start: int32(start), end: int32(end), left: -1, right: -1})
	dim := t.dim
	lo := X.Row(int(perm[start]))
	t.bounds = append(t.bounds, lo...)
	t.bounds = append(t.bounds, lo...)
	boxLo := t.bounds[len(t.bounds)-2*dim : len(t.bounds)-dim]
	boxHi := t.bounds[len(t.bounds)-dim:]
	for _, r := range perm[start+1 : end] {
		for j, v := range X.Row(int(r)) {
			boxLo[j] = min(boxLo[j], v)
			boxHi[j] = max(boxHi[j], v)
		}
	}
	// Split on the widest dimension, as scikit-learn's KDTree does; a box of identical points stays a leaf
	// whatever its size, since no split could separate them.
	axis, spread := 0, 0.0
	for j := 0; j < dim; j++ {
		if s := boxHi[j] - boxLo[j]; s > spread {
			axis, spread = j, s
		}
	}
	if end-start <= leafSize || spread == 0 {
		return id
	}
	mid := start + (end-start)/2
	selectNthByAxis(perm[start:end], X, axis, mid-start)
	left := t.build(X, perm, start, mid, leafSize)
	right := t.build(X, perm, mid, end, leafSize)
	t.nodes[id].left, t.nodes[id].right = left, right
	return id
}

// selectNthByAxis reorders idx so that idx[k] holds the row with the k-th smallest value in column axis, smaller
// or equal values before it and greater or equal after (quickselect with a three-way partition, so runs of
// equal values, common in customer data, cannot make it quadratic).
func selectNthByAxis(idx []int32, X *Matrix, axis, k int) {
	key := func(i int) float64 { return X.Data[int(idx[i])*X.Cols+axis] }
	lo, hi := 0, len(idx)-1
	for lo < hi {
		a, b, c := key(lo), key(lo+(hi-lo)/2), key(hi)
		pivot := max(min(a, b), min(max(a, b), c)) // median of three
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch v := key(i); {
			case v < pivot:
				idx[lt], idx[i] = idx[i], idx[lt]
				lt++
				i++
			case v > pivot:
				idx[i], idx[gt] = idx[gt], idx[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return
		}
	}
}

// size is the number of indexed points.
func (t *kdTree) size() int { return len(t.orig) }

// point returns the coordinates at tree position p.
func (t *kdTree) point(p int) []float64 { return t.coords[p*t.dim : (p+1)*t.dim : (p+1)*t.dim] }

// boxDistances returns the smallest and largest squared distance from q to any point of node id's box,
// accumulated in column order like sumSqDiff so that they bound its results exactly (see kdTree).
func (t *kdTree) boxDistances(id int32, q []float64) (near, far float64) {
	dim := t.dim
	lo := t.bounds[2*int(id)*dim : (2*int(id)+1)*dim]
	hi := t.bounds[(2*int(id)+1)*dim : (2*int(id)+2)*dim]
	q = q[:dim]
	for j, x := range q {
		var dn, df float64
		switch {
		case x < lo[j]:
			dn, df = lo[j]-x, hi[j]-x
		case x > hi[j]:
			dn, df = x-hi[j], x-lo[j]
		default:
			df = max(x-lo[j], hi[j]-x)
		}
		near += float64(dn * dn)
		far += float64(df * df)
	}
	return near, far
}

// countWithin counts the points within squared distance r2 of q (q itself included if indexed), stopping
// early once the count reaches limit when limit > 0: DBSCAN only needs to know whether a point has
// min_samples neighbours. stack is scratch space, returned for reuse.
func (t *kdTree) countWithin(q []float64, r2 float64, limit int, stack []int32) (int, []int32) {
	count := 0
	if len(t.nodes) == 0 {
		return 0, stack
	}
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &t.nodes[id]
		near, far := t.boxDistances(id, q)
		switch {
		case near > r2:
			continue
		case far <= r2:
			count += int(nd.end - nd.start)
		case nd.left < 0:
			for p := int(nd.start); p < int(nd.end); p++ {
				if sumSqDiff(q, t.point(p)) <= r2 {
					count++
				}
			}
		default:
			stack = append(stack, nd.right, nd.left)
			continue
		}
		if limit > 0 && count >= limit {
			return count, stack
		}
	}
	return count, stack
}

// appendWithin appends to out the tree positions of the points within squared distance r2 of q.
func (t *kdTree) appendWithin(q []float64, r2 float64, out, stack []int32) ([]int32, []int32) {
	if len(t.nodes) == 0 {
		return out, stack
	}
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &t.nodes[id]
		near, far := t.boxDistances(id, q)
		switch {
		case near > r2:
		case far <= r2:
			for p := nd.start; p < nd.end; p++ {
				out = append(out, p)
			}
		case nd.left < 0:
			for p := int(nd.start); p < int(nd.end); p++ {
				if sumSqDiff(q, t.point(p)) <= r2 {
					out = append(out, int32(p))
				}
			}
		default:
			stack = append(stack, nd.right, nd.left)
		}
	}
	return out, stack
}

// nearestWithin returns the tree position of the point nearest to q among those within squared distance
// r2, the one with the lowest input row on ties, or -1 if there is none.
func (t *kdTree) nearestWithin(q []float64, r2 float64, stack []int32) (int, []int32) {
	best, bestD := -1, r2
	if len(t.nodes) == 0 {
		return best, stack
	}
	stack = append(stack[:0], 0)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nd := &t.nodes[id]
		if near, _ := t.boxDistances(id, q); near > bestD {
			continue
		}
		if nd.left >= 0 {
			// Visit the nearer child first (pushed last) so bestD shrinks early and prunes more.
			nl, _ := t.boxDistances(nd.left, q)
			nr, _ := t.boxDistances(nd.right, q)
			if nl <= nr {
				stack = append(stack, nd.right, nd.left)
			} else {
				stack = append(stack, nd.left, nd.right)
			}
			continue
		}
		for p := int(nd.start); p < int(nd.end); p++ {
			d := sumSqDiff(q, t.point(p))
			if d < bestD || (d == bestD && (best < 0 || t.orig[p] < t.orig[best])) {
				best, bestD = p, d
			}
		}
	}
	return best, stack
}
