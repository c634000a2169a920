package algorithms

import (
	"cmp"
	"fmt"
	"slices"
)

// A CART decision tree for classification (gini impurity), grown as scikit-learn's
// DecisionTreeClassifier(criterion="gini", max_depth, min_samples_leaf) grows it on a design matrix: at
// each node, over every column and every threshold halfway between consecutive distinct values, the split
// whose children have the smallest weighted gini impurity, each child keeping at least MinSamplesLeaf rows.
// A node is a leaf when it is pure, at MaxDepth, has fewer than 2·MinSamplesLeaf rows, or no column
// splits it. Ties between equally good splits go to the lowest column, then the lowest threshold
// (scikit-learn visits columns in a random order, so on data with such ties the two trees can differ in
// structure, not in quality). Leaves predict their training rows' class shares. Importances are each
// column's total weighted impurity decrease, normalised to sum to 1 (feature_importances_).

// TreeOptions bound the tree's growth.
type TreeOptions struct {
	MaxDepth       int // 0: default 5
	MinSamplesLeaf int // 0: default 1
}

// Default tree settings.
const (
	DefaultTreeMaxDepth = 5
	DefaultTreeMinLeaf  = 1
)

// TreeNode is one node: a split (Column, Threshold: rows with x <= Threshold go Left) or a leaf (Left -1).
type TreeNode struct {
	Column    int       `json:"column"`
	Threshold float64   `json:"threshold"`
	Left      int       `json:"left"`
	Right     int       `json:"right"`
	Proba     []float64 `json:"proba,omitempty"`
	Rows      int       `json:"rows"`
}

// TreeFit is a fitted classification tree.
type TreeFit struct {
	Classes     int        `json:"classes"`
	Nodes       []TreeNode `json:"nodes"`
	Importances []float64  `json:"importances"`
}

// FitTree grows a classification tree of y (class codes) on X.
func FitTree(X *Matrix, y []int, classes int, o TreeOptions) (*TreeFit, error) {
	if o.MaxDepth == 0 {
		o.MaxDepth = DefaultTreeMaxDepth
	}
	if o.MinSamplesLeaf == 0 {
		o.MinSamplesLeaf = DefaultTreeMinLeaf
	}
	if o.MaxDepth < 1 || o.MinSamplesLeaf < 1 {
		return nil, fmt.Errorf("max_depth and min_samples_leaf must be at least 1")
	}
	if X.Rows == 0 || X.Rows != len(y) {
		return nil, fmt.Errorf("a tree needs as many labels as rows (%d rows, %d labels)", X.Rows, len(y))
	}
	g := &treeGrower{X: X, y: y, k: classes, o: o, fit: &TreeFit{Classes: classes, Importances: make([]float64, X.Cols)}}
	g.grow(rowIndices(X.Rows), 0)
	normalizeImportances(g.fit.Importances)
	return g.fit, nil
}

type treeGrower struct {
	X   *Matrix
	y   []int
	k   int
	o   TreeOptions
	fit *TreeFit
}

func (g *treeGrower) counts(rows []int) []float64 {
	c := make([]float64, g.k)
	for _, i := range rows {
		c[g.y[i]]++
	}
	return c
}

func gini(c []float64, n float64) float64 {
	s := 0.0
	for _, v := range c {
		s += v * v
	}
	return 1 - s/(n*n)
}

// grow adds the node for rows and its subtree, returning its index.
func (g *treeGrower) grow(rows []int, depth int) int {
	id := len(g.fit.Nodes)
	c := g.counts(rows)
	n := float64(len(rows))
	node := TreeNode{Left: -1, Right: -1, Rows: len(rows), Proba: make([]float64, g.k)}
	for j := range c {
		node.Proba[j] = c[j] / n
	}
	g.fit.Nodes = append(g.fit.Nodes, node)
	imp := gini(c, n)
	if depth >= g.o.MaxDepth || len(rows) < 2*g.o.MinSamplesLeaf || imp <= 1e-7 {
		return id
	}
	bestCol, bestPos, bestChild := -1, 0, 0.0
	var bestThr float64
	order := make([]int, len(rows))
	var bestOrder []int
	left := make([]float64, g.k)
	for col := 0; col < g.X.Cols; col++ {
		copy(order, rows)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g.X.At(a, col), g.X.At(b, col)) })
		clear(left)
		for pos := 1; pos < len(order); pos++ {
			left[g.y[order[pos-1]]]++
			lo, hi := g.X.At(order[pos-1], col), g.X.At(order[pos], col)
			if lo == hi || pos < g.o.MinSamplesLeaf || len(order)-pos < g.o.MinSamplesLeaf {
				continue
			}
			nl, nr := float64(pos), n-float64(pos)
			right := make([]float64, g.k)
			for j := range right {
				right[j] = c[j] - left[j]
			}
			child := nl*gini(left, nl) + nr*gini(right, nr)
			if bestCol < 0 || child < bestChild {
				bestCol, bestPos, bestChild = col, pos, child
				bestThr = lo/2 + hi/2
				if bestThr == hi { // sklearn's guard against rounding onto the upper value
					bestThr = lo
				}
				bestOrder = append(bestOrder[:0], order...)
			}
		}
	}
	if bestCol < 0 {
		return id
	}
	g.fit.Importances[bestCol] += n*imp - bestChild
	l := g.grow(append([]int(nil), bestOrder[:bestPos]...), depth+1)
	r := g.grow(append([]int(nil), bestOrder[bestPos:]...), depth+1)
	g.fit.Nodes[id].Column, g.fit.Nodes[id].Threshold, g.fit.Nodes[id].Left, g.fit.Nodes[id].Right = bestCol, bestThr, l, r
	return id
}

// Proba returns each row's class probabilities: its leaf's class shares.
func (f *TreeFit) Proba(X *Matrix) *Matrix {
	P := NewMatrix(X.Rows, f.Classes)
	for i := 0; i < X.Rows; i++ {
		n := 0
		for f.Nodes[n].Left >= 0 {
			if X.At(i, f.Nodes[n].Column) <= f.Nodes[n].Threshold {
				n = f.Nodes[n].Left
			} else {
				n = f.Nodes[n].Right
			}
		}
		copy(P.Row(i), f.Nodes[n].Proba)
	}
	return P
}
