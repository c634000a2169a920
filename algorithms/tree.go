package algorithms

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Explaining clusters: a shallow CART decision tree on the raw numeric columns predicts the cluster labels,
// grown as scikit-learn's DecisionTreeClassifier(criterion="gini", max_depth=d, min_samples_leaf=1) grows
// it: at each node the split, over every numeric feature and every threshold halfway between consecutive
// distinct sorted values (sklearn's Xf[p-1]/2 + Xf[p]/2), that minimises the children's weighted gini
// impurity. Differences from sklearn, all for readable and reproducible explanations:
//
//   - Ties between equally good splits go to the lowest feature index, then the lowest threshold (sklearn
//     visits features in a random order). Gains are compared exactly, in integer arithmetic, so a tie is
//     a tie and not a rounding accident.
//   - A split must reduce the impurity (sklearn also makes zero-gain splits).
//   - A threshold is written as the shortest decimal that still separates the two values it lies
//     between (2.45, not 2.4500000000000002); the tree splits on exactly that value.
//   - Sibling leaves that predict the same cluster are merged: the predictions do not change and the
//     rules get shorter.
//
// Rows labelled Noise are ignored, as are text columns and rows with a missing or infinite numeric value.
// Above MaxExplainRows rows the tree is grown on a seeded random sample of that many rows (reported); the
// fidelity, supports and precisions are always computed on all the explained rows.

// MaxExplainRows is the largest number of rows a tree is grown on; larger inputs are sampled.
const MaxExplainRows = 200_000

// explainSeed seeds the sample of large inputs, so that explanations are reproducible.
const explainSeed = 0x5e6_4e5

// Explanation is a decision tree's account of a clustering.
type Explanation struct {
	// Fidelity is the share of explained rows whose cluster the tree predicts (its training accuracy when
	// not sampled).
	Fidelity float64 `json:"fidelity"`
	MaxDepth int     `json:"max_depth"`
	// Rows counts the rows explained: labelled (not noise), with every numeric feature finite.
	Rows int `json:"rows"`
	// FittedRows counts the rows the tree was grown on: Rows, or MaxExplainRows when sampled.
	FittedRows int  `json:"fitted_rows"`
	Sampled    bool `json:"sampled"`
	// Features are the numeric columns the tree could split on.
	Features []string `json:"features"`
	// Leaves is the number of rules in the tree.
	Leaves   int            `json:"leaves"`
	Clusters []ClusterRules `json:"clusters"`
	// Notes say what was left out and why.
	Notes []string `json:"notes,omitempty"`
}

// ClusterRules are the tree's rules that predict one cluster.
type ClusterRules struct {
	Cluster int `json:"cluster"`
	// Size is the number of explained rows in the cluster.
	Size int `json:"size"`
	// Rules are the leaves predicting the cluster, largest support first; empty when no leaf predicts it.
	Rules []LeafRule `json:"rules"`
}

// LeafRule is one leaf of the tree, as a conjunction of conditions.
type LeafRule struct {
	// Rule reads like "recency_days <= 30.5 and frequency > 7.5"; "true" for a tree with no split.
	Rule       string      `json:"rule"`
	Conditions []Condition `json:"conditions"`
	// Support is the number of explained rows in the leaf.
	Support int `json:"support"`
	// Precision is the share of the leaf's rows that are in the predicted cluster.
	Precision float64 `json:"precision"`
	// Coverage is the share of the cluster's rows that the leaf holds.
	Coverage float64 `json:"coverage"`
}

// Condition is one test on a path: Feature <= Threshold, or Feature > Threshold.
type Condition struct {
	Feature   string  `json:"feature"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
}

// String writes the condition as it appears in a rule: "frequency > 7.5".
func (c Condition) String() string {
	return c.Feature + " " + c.Op + " " + strconv.FormatFloat(c.Threshold, 'f', -1, 64)
}

// ExplainClusters fits the explaining tree of depth at most maxDepth (3 when 0, at most 10) to labels,
// presorting the features on up to workers goroutines (0: GOMAXPROCS).
func ExplainClusters(f *Frame, labels []int, maxDepth, workers int) (*Explanation, error) {
	switch {
	case maxDepth == 0:
		maxDepth = 3
	case maxDepth < 0 || maxDepth > 10:
		return nil, fmt.Errorf("explain: max depth must be in 1..10 (0 for 3), got %d", maxDepth)
	}
	if f == nil || len(f.Columns) == 0 {
		return nil, errors.New("explain: the frame has no columns")
	}
	n := f.Len()
	if len(labels) != n {
		return nil, fmt.Errorf("explain: %d labels for %d rows", len(labels), n)
	}
	ex := &Explanation{MaxDepth: maxDepth}
	var cols [][]float64
	for _, c := range f.Columns {
		if c.Num == nil {
			ex.Notes = append(ex.Notes, fmt.Sprintf("text column %s is not used", c.Name))
			continue
		}
		if len(c.Num) != n {
			return nil, fmt.Errorf("explain: column %s has %d rows, expected %d", c.Name, len(c.Num), n)
		}
		cols = append(cols, c.Num)
		ex.Features = append(ex.Features, c.Name)
	}
	if len(cols) == 0 {
		return nil, errors.New("explain: no numeric column to explain the clusters with")
	}

	rows := make([]int, 0, n)
	noise, nonFinite := 0, 0
	for i, l := range labels {
		switch {
		case l == Noise:
			noise++
			continue
		case l < Noise:
			return nil, fmt.Errorf("explain: row %d has label %d; labels are >= 0, or -1 for noise", i, l)
		}
		ok := true
		for _, col := range cols {
			ok = ok && finite(col[i])
		}
		if !ok {
			nonFinite++
			continue
		}
		rows = append(rows, i)
	}
	if noise > 0 {
		ex.Notes = append(ex.Notes, fmt.Sprintf("%d noise rows are not explained", noise))
	}
	if nonFinite > 0 {
		ex.Notes = append(ex.Notes, fmt.Sprintf("%d rows with a missing or infinite value are not explained", nonFinite))
	}
	if len(rows) == 0 {
		return nil, errors.New("explain: no labelled row with finite values to explain")
	}
	ex.Rows = len(rows)

	// Clusters are indexed 0..C-1 in label order, so "lowest class" ties match sklearn's argmax.
	clusters := make([]int, 0)
	seen := map[int]bool{}
	for _, i := range rows {
		if !seen[labels[i]] {
			seen[labels[i]] = true
			clusters = append(clusters, labels[i])
		}
	}
	slices.Sort(clusters)
	classOf := make(map[int]int32, len(clusters))
	for k, c := range clusters {
		classOf[c] = int32(k)
	}

	fitRows := rows
	if len(rows) > MaxExplainRows {
		picked := seededRowSample(len(rows), MaxExplainRows, explainSeed)
		fitRows = make([]int, len(picked))
		for i, p := range picked {
			fitRows[i] = rows[p]
		}
		ex.Sampled = true
		ex.Notes = append(ex.Notes, fmt.Sprintf("the tree was grown on a seeded sample of %d of %d rows", MaxExplainRows, len(rows)))
	}
	ex.FittedRows = len(fitRows)

	t := newTreeBuilder(cols, labels, fitRows, classOf, len(clusters), workers)
	root := t.grow(0, len(fitRows), 0, maxDepth)
	t.mergeLeaves(root)
	ex.describe(t, root, cols, labels, rows, clusters, classOf)
	return ex, nil
}

// treeNode is a node of the explaining tree: a split (feature >= 0) or a leaf.
type treeNode struct {
	feature     int
	threshold   float64
	left, right int
	counts      []int // fitted rows per class
	prediction  int32 // majority class, lowest class on ties
}

// treeBuilder grows the tree over the fitted rows, numbered 0..m-1. For each feature it keeps the rows
// sorted by that feature (presorted once); a node owns the same range [lo, hi) of every feature's order,
// and a split partitions each range stably, so every node's rows stay sorted with no further sorting.
type treeBuilder struct {
	classes  int
	y        []int32     // class of each fitted row
	order    [][]int32   // order[j][p]: the fitted row at position p by feature j
	sorted   [][]float64 // sorted[j][p]: its value of feature j
	goesLeft []bool
	tmpIdx   []int32
	tmpVal   []float64
	nodes    []treeNode
}

func newTreeBuilder(cols [][]float64, labels, fitRows []int, classOf map[int]int32, classes, workers int) *treeBuilder {
	m := len(fitRows)
	t := &treeBuilder{
		classes:  classes,
		y:        make([]int32, m),
		order:    make([][]int32, len(cols)),
		sorted:   make([][]float64, len(cols)),
		goesLeft: make([]bool, m),
		tmpIdx:   make([]int32, m),
		tmpVal:   make([]float64, m),
	}
	for r, i := range fitRows {
		t.y[r] = classOf[labels[i]]
	}
	parallelFor(len(cols), workers, func(_, j int) { // the features sort independently
		col := cols[j]
		x := make([]float64, m)
		for r, i := range fitRows {
			x[r] = col[i]
		}
		ord := argsortFinite(x)
		vals := make([]float64, m)
		for p, r := range ord {
			vals[p] = x[r]
		}
		t.order[j], t.sorted[j] = ord, vals
	})
	return t
}

// argsortFinite returns the indices of x (finite values) in ascending order of value, equal values in index
// order. It is a stable LSD radix sort on the values' bits, mapped so that unsigned order is numeric order
// (flip all bits of negatives, the sign bit of the rest): four passes of 16 bits, O(n) where a comparison
// sort of 200,000 rows per feature was most of the tree's time.
func argsortFinite(x []float64) []int32 {
	n := len(x)
	keys, keys2 := make([]uint64, n), make([]uint64, n)
	idx, idx2 := make([]int32, n), make([]int32, n)
	for i, v := range x {
		b := math.Float64bits(v)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i], idx[i] = b, int32(i)
	}
	var count [1 << 16]int
	for shift := 0; shift < 64; shift += 16 {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&0xFFFF]++
		}
		if n == 0 || count[(keys[0]>>shift)&0xFFFF] == n {
			continue // every key has the same digit here: the pass would not move anything
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range keys {
			d := (k >> shift) & 0xFFFF
			keys2[count[d]], idx2[count[d]] = k, idx[i]
			count[d]++
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return idx
}

// grow builds the subtree of positions [lo, hi) at depth and returns its node index.
func (t *treeBuilder) grow(lo, hi, depth, maxDepth int) int {
	counts := make([]int, t.classes)
	for _, r := range t.order[0][lo:hi] {
		counts[t.y[r]]++
	}
	id := len(t.nodes)
	t.nodes = append(t.nodes, treeNode{feature: -1, counts: counts, prediction: majority(counts)})
	if depth >= maxDepth || hi-lo < 2 || int(counts[t.nodes[id].prediction]) == hi-lo {
		return id
	}
	feature, pos, ok := t.bestSplit(lo, hi, counts)
	if !ok {
		return id
	}
	below, above := t.sorted[feature][pos], t.sorted[feature][pos+1]
	threshold := readableThreshold(below, above)
	for p := lo; p < hi; p++ {
		t.goesLeft[t.order[feature][p]] = p <= pos
	}
	for j := range t.order {
		t.partition(j, lo, hi)
	}
	mid := pos + 1
	left := t.grow(lo, mid, depth+1, maxDepth)
	right := t.grow(mid, hi, depth+1, maxDepth)
	t.nodes[id].feature, t.nodes[id].threshold = feature, threshold
	t.nodes[id].left, t.nodes[id].right = left, right
	return id
}

// bestSplit finds the split of [lo, hi) with the lowest weighted gini impurity that improves on the node:
// the feature and the last position going left. Weighted gini n_L·(1-Σp²) + n_R·(1-Σp²) is smallest when
// S = ΣcL²/nL + ΣcR²/nR is largest; S = (ΣcL²·nR + ΣcR²·nL) / (nL·nR) is compared exactly as a fraction.
func (t *treeBuilder) bestSplit(lo, hi int, counts []int) (feature, pos int, ok bool) {
	n := hi - lo
	parentSq := 0
	for _, c := range counts {
		parentSq += c * c
	}
	// The best so far starts as the parent, S = ΣcP²/n: a split must beat it strictly.
	bestNum, bestDen := uint64(parentSq), uint64(n)
	left := make([]int, t.classes)
	right := make([]int, t.classes)
	for j := range t.order {
		ord, vals := t.order[j][lo:hi], t.sorted[j][lo:hi]
		if vals[0] == vals[n-1] {
			continue
		}
		clear(left)
		copy(right, counts)
		sqL, sqR := 0, parentSq
		for p := 0; p < n-1; p++ {
			c := t.y[ord[p]]
			sqL += 2*left[c] + 1
			left[c]++
			sqR -= 2*right[c] - 1
			right[c]--
			if vals[p] == vals[p+1] {
				continue
			}
			nL, nR := p+1, n-p-1
			num := uint64(sqL*nR + sqR*nL)
			den := uint64(nL * nR)
			if fractionGreater(num, den, bestNum, bestDen) {
				bestNum, bestDen = num, den
				feature, pos, ok = j, lo+p, true
			}
		}
	}
	return feature, pos, ok
}

// fractionGreater reports whether a/b > c/d for positive denominators, exactly (128-bit products).
func fractionGreater(a, b, c, d uint64) bool {
	hi1, lo1 := bits.Mul64(a, d)
	hi2, lo2 := bits.Mul64(c, b)
	return hi1 > hi2 || (hi1 == hi2 && lo1 > lo2)
}

// partition reorders feature j's range [lo, hi) stably: rows going left first.
func (t *treeBuilder) partition(j, lo, hi int) {
	ord, vals := t.order[j], t.sorted[j]
	w := lo
	k := 0
	for p := lo; p < hi; p++ {
		if t.goesLeft[ord[p]] {
			ord[w], vals[w] = ord[p], vals[p]
			w++
		} else {
			t.tmpIdx[k], t.tmpVal[k] = ord[p], vals[p]
			k++
		}
	}
	copy(ord[w:hi], t.tmpIdx[:k])
	copy(vals[w:hi], t.tmpVal[:k])
}

// majority is the class with the most rows, the lowest on ties (sklearn's argmax).
func majority(counts []int) int32 {
	best := 0
	for c, v := range counts {
		if v > counts[best] {
			best = c
		}
	}
	return int32(best)
}

// readableThreshold is sklearn's threshold, the midpoint below/2 + above/2 (or below if that rounds up to
// above), written with the fewest significant digits that stay within a millionth of the gap from it: 2.45
// rather than 2.4500000000000002, 30.5 between 30 and 31. It still lies strictly between the two values, so
// "x <= t" splits exactly as the midpoint does.
func readableThreshold(below, above float64) float64 {
	mid := below/2 + above/2
	if mid == above {
		return below
	}
	tol := (above - below) * 1e-6
	for prec := 1; prec < 17; prec++ {
		v, err := strconv.ParseFloat(strconv.FormatFloat(mid, 'g', prec, 64), 64)
		if err == nil && below < v && v < above && math.Abs(v-mid) <= tol {
			return v
		}
	}
	return mid
}

// mergeLeaves turns every split whose two children are leaves predicting the same class into a leaf.
func (t *treeBuilder) mergeLeaves(id int) {
	nd := &t.nodes[id]
	if nd.feature < 0 {
		return
	}
	t.mergeLeaves(nd.left)
	t.mergeLeaves(nd.right)
	l, r := t.nodes[nd.left], t.nodes[nd.right]
	if l.feature < 0 && r.feature < 0 && l.prediction == r.prediction {
		nd.feature = -1
	}
}

// leafPaths lists the leaves under id with the conditions leading to them.
func (t *treeBuilder) leafPaths(id int, path []Condition, names []string, visit func(leaf int, path []Condition)) {
	nd := t.nodes[id]
	if nd.feature < 0 {
		visit(id, path)
		return
	}
	name := names[nd.feature]
	t.leafPaths(nd.left, append(slices.Clip(path), Condition{Feature: name, Op: "<=", Threshold: nd.threshold}), names, visit)
	t.leafPaths(nd.right, append(slices.Clip(path), Condition{Feature: name, Op: ">", Threshold: nd.threshold}), names, visit)
}

// simplifyPath keeps, per feature, only the tightest ">" and the tightest "<=" condition. Features come in
// the order they first appear on the path, each as a range: "x > 2.5 and x <= 4.5".
func simplifyPath(path []Condition) []Condition {
	type bounds struct {
		feature string
		lower   *Condition // tightest x > t
		upper   *Condition // tightest x <= t
	}
	var byFeature []*bounds
	for _, c := range path {
		var b *bounds
		for _, e := range byFeature {
			if e.feature == c.Feature {
				b = e
			}
		}
		if b == nil {
			b = &bounds{feature: c.Feature}
			byFeature = append(byFeature, b)
		}
		switch {
		case c.Op == ">" && (b.lower == nil || c.Threshold > b.lower.Threshold):
			b.lower = &c
		case c.Op == "<=" && (b.upper == nil || c.Threshold < b.upper.Threshold):
			b.upper = &c
		}
	}
	out := []Condition{}
	for _, b := range byFeature {
		if b.lower != nil {
			out = append(out, *b.lower)
		}
		if b.upper != nil {
			out = append(out, *b.upper)
		}
	}
	return out
}

// describe routes every explained row down the tree and fills in fidelity and the per-cluster rules.
func (ex *Explanation) describe(t *treeBuilder, root int, cols [][]float64, labels, rows, clusters []int, classOf map[int]int32) {
	leafIndex := map[int]int{}
	var leafIDs []int
	var paths [][]Condition
	t.leafPaths(root, []Condition{}, ex.Features, func(leaf int, path []Condition) {
		leafIndex[leaf] = len(leafIDs)
		leafIDs = append(leafIDs, leaf)
		paths = append(paths, simplifyPath(path))
	})
	support := make([]int, len(leafIDs))
	correct := make([]int, len(leafIDs))
	size := make([]int, len(clusters))
	for _, i := range rows {
		id := root
		for t.nodes[id].feature >= 0 {
			nd := t.nodes[id]
			if cols[nd.feature][i] <= nd.threshold {
				id = nd.left
			} else {
				id = nd.right
			}
		}
		k := leafIndex[id]
		class := classOf[labels[i]]
		support[k]++
		size[class]++
		if class == t.nodes[id].prediction {
			correct[k]++
		}
	}
	total := 0
	for _, c := range correct {
		total += c
	}
	ex.Fidelity = float64(total) / float64(len(rows))
	ex.Leaves = len(leafIDs)
	ex.Clusters = make([]ClusterRules, len(clusters))
	for c, label := range clusters {
		ex.Clusters[c] = ClusterRules{Cluster: label, Size: size[c], Rules: []LeafRule{}}
	}
	for k, id := range leafIDs {
		if support[k] == 0 {
			continue // a leaf only sampled-out rows would reach
		}
		class := t.nodes[id].prediction
		texts := make([]string, len(paths[k]))
		for i, c := range paths[k] {
			texts[i] = c.String()
		}
		rule := strings.Join(texts, " and ")
		if rule == "" {
			rule = "true"
		}
		lr := LeafRule{
			Rule:       rule,
			Conditions: paths[k],
			Support:    support[k],
			Precision:  float64(correct[k]) / float64(support[k]),
		}
		if size[class] > 0 {
			lr.Coverage = float64(correct[k]) / float64(size[class])
		}
		ex.Clusters[class].Rules = append(ex.Clusters[class].Rules, lr)
	}
	for c := range ex.Clusters {
		slices.SortStableFunc(ex.Clusters[c].Rules, func(a, b LeafRule) int { return cmp.Compare(b.Support, a.Support) })
	}
}
