package algorithms

import (
	"math"
	"slices"
	"sort"
)

// Matching keeps cluster ids stable across versions of a segmentation: a refit numbers its clusters
// arbitrarily, so each new cluster is given the id of the previous cluster it most resembles.
type Matching struct {
	// IDs maps each new cluster index to its stable id.
	IDs []int `json:"ids"`
	// New lists, in increasing order, the stable ids that had no previous match (fresh ids).
	New []int `json:"new"`
	// Vanished lists, in increasing order, the previous ids no new cluster took over.
	Vanished []int `json:"vanished"`
}

// PreviousClusters is what the previous version knew of its clusters beyond the labels its entities
// carry into this input.
type PreviousClusters struct {
	// IDs are every cluster id the previous version had, including ids none of this input's rows had (all
	// their members left): such a cluster cannot be matched, and is reported as vanished.
	IDs []int
	// NextID is the lowest id the segmentation has never given: fresh ids start there (or above every
	// previous id), so an id whose cluster vanished is not handed to a different cluster later, with its
	// name and its place in the change log.
	NextID int
}

// MatchClusters matches the clusters of labels (0..K-1, or Noise) to those of the previous version.
// prevLabels[i] is row i's cluster id in the previous version, or -1 when the entity is new or was
// unassigned; previous ids are any non-negative integers.
//
// Both sets of clusters are summarised by their centroids in X's space: the new ones over the rows of each
// new cluster, the previous ones over the rows that had that previous id (whatever their new label). The
// pairing that minimises the total Euclidean distance between matched centroids is found with the
// Hungarian algorithm; when the counts differ, the surplus new clusters get fresh ids, from prev.NextID
// or above every previous id, whichever is higher, increasing with the cluster index, and the previous
// ids left unmatched (prev.IDs' and prevLabels') are reported as vanished. A new cluster with no rows is
// never matched.
//
// Only the first min(X.Rows, len(labels), len(prevLabels)) rows are used; K is the largest label + 1.
func MatchClusters(X *Matrix, labels []int, prevLabels []int, prev PreviousClusters) Matching {
	k := 0
	for _, l := range labels {
		k = max(k, l+1)
	}
	n := min(len(labels), len(prevLabels))
	dim := 0
	if X != nil && len(X.Data) == X.Rows*X.Cols {
		n = min(n, X.Rows)
		dim = X.Cols
	} else {
		n = 0
	}

	// Previous ids, in increasing order, and their index.
	prevIndex := make(map[int]int)
	var prevIDs []int
	for _, p := range append(slices.Clip(prevLabels[:min(len(prevLabels), len(labels))]), prev.IDs...) {
		if _, ok := prevIndex[p]; !ok && p >= 0 {
			prevIndex[p] = 0
			prevIDs = append(prevIDs, p)
		}
	}
	sort.Ints(prevIDs)
	for i, p := range prevIDs {
		prevIndex[p] = i
	}

	newSum := make([]float64, k*dim)
	newCount := make([]int, k)
	prevSum := make([]float64, len(prevIDs)*dim)
	prevCount := make([]int, len(prevIDs))
	for i := 0; i < n; i++ {
		row := X.Row(i)
		if l := labels[i]; l >= 0 {
			newCount[l]++
			for j, v := range row {
				newSum[l*dim+j] += v
			}
		}
		if p := prevLabels[i]; p >= 0 {
			pi := prevIndex[p]
			prevCount[pi]++
			for j, v := range row {
				prevSum[pi*dim+j] += v
			}
		}
	}
	mean := func(sum []float64, count int) []float64 {
		out := make([]float64, len(sum))
		for j, v := range sum {
			out[j] = v / float64(count)
		}
		return out
	}

	// Only clusters with rows take part; a previous id seen only beyond the rows used has no centroid.
	var newRows, prevCols []int
	for c := 0; c < k; c++ {
		if newCount[c] > 0 {
			newRows = append(newRows, c)
		}
	}
	for pi := range prevIDs {
		if prevCount[pi] > 0 {
			prevCols = append(prevCols, pi)
		}
	}
	cost := make([][]float64, len(newRows))
	for r, c := range newRows {
		cm := mean(newSum[c*dim:(c+1)*dim], newCount[c])
		cost[r] = make([]float64, len(prevCols))
		for col, pi := range prevCols {
			cost[r][col] = math.Sqrt(sumSqDiff(cm, mean(prevSum[pi*dim:(pi+1)*dim], prevCount[pi])))
		}
	}

	m := Matching{IDs: make([]int, k), New: []int{}, Vanished: []int{}}
	for c := range m.IDs {
		m.IDs[c] = -1
	}
	matched := make([]bool, len(prevIDs))
	if len(prevCols) > 0 {
		for r, col := range Hungarian(cost) {
			if col >= 0 {
				pi := prevCols[col]
				m.IDs[newRows[r]] = prevIDs[pi]
				matched[pi] = true
			}
		}
	}
	fresh := max(prev.NextID, 0)
	if len(prevIDs) > 0 {
		fresh = max(fresh, prevIDs[len(prevIDs)-1]+1)
	}
	for c := range m.IDs {
		if m.IDs[c] < 0 {
			m.IDs[c] = fresh
			m.New = append(m.New, fresh)
			fresh++
		}
	}
	for pi, p := range prevIDs {
		if !matched[pi] {
			m.Vanished = append(m.Vanished, p)
		}
	}
	return m
}

// Hungarian solves the rectangular assignment problem: it returns assign with assign[i] the column given to
// row i, such that no column is used twice and the total cost is minimal. Every row gets a column when
// there are at least as many columns as rows; otherwise the rows left without one get -1. Rows shorter than
// the longest are padded, and NaN or infinite entries are treated, as forbidden pairs: used only when no
// assignment of as many pairs avoids them.
//
// It is the shortest-augmenting-path form of Kuhn-Munkres with potentials (Jonker-Volgenant), O(r²c) for
// r <= c rows and columns (the matrix is transposed when r > c).
func Hungarian(cost [][]float64) []int {
	rows := len(cost)
	cols := 0
	for _, r := range cost {
		cols = max(cols, len(r))
	}
	assign := make([]int, rows)
	for i := range assign {
		assign[i] = -1
	}
	if rows == 0 || cols == 0 {
		return assign
	}
	// Forbidden pairs cost more than any assignment of allowed pairs could. Costs so large that this sum
	// would overflow are scaled down first (scaling does not change the optimal assignment).
	largest := 0.0
	for _, r := range cost {
		for _, v := range r {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				largest = max(largest, math.Abs(v))
			}
		}
	}
	scale := 1.0
	if largest > 1e150 {
		scale = 1 / largest
	}
	forbidden := 1.0
	for _, r := range cost {
		for _, v := range r {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				forbidden += math.Abs(v * scale)
			}
		}
	}
	forbidden *= 2
	at := func(i, j int) float64 {
		if j >= len(cost[i]) {
			return forbidden
		}
		if v := cost[i][j]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v * scale
		}
		return forbidden
	}
	if rows <= cols {
		for i, j := range assignRowsToColumns(rows, cols, at) {
			assign[i] = j
		}
		return assign
	}
	byColumn := assignRowsToColumns(cols, rows, func(i, j int) float64 { return at(j, i) })
	for j, i := range byColumn {
		assign[i] = j
	}
	return assign
}

// assignRowsToColumns is Kuhn-Munkres for n <= m: rows are added one at a time, each by a Dijkstra-like
// search for the cheapest augmenting path under the reduced costs a(i,j) - u[i] - v[j], which stay
// non-negative, so the partial assignment is optimal after every row.
func assignRowsToColumns(n, m int, a func(i, j int) float64) []int {
	// 1-based as in the classic formulation: column 0 is a virtual start, p[j] the row holding column j.
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	p := make([]int, m+1)
	way := make([]int, m+1)
	minv := make([]float64, m+1)
	used := make([]bool, m+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j] = math.Inf(1)
			used[j] = false
		}
		for {
			used[j0] = true
			i0 := p[j0]
			delta, j1 := math.Inf(1), 0
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if cur := a(i0-1, j-1) - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			if j1 == 0 {
				// Unreachable with finite costs (Hungarian makes them so); stops rather than loops if not.
				j0 = 0
				break
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	assign := make([]int, n)
	for j := 1; j <= m; j++ {
		if p[j] > 0 {
			assign[p[j]-1] = j - 1
		}
	}
	return assign
}
