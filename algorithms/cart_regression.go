package algorithms

import (
	"cmp"
	"fmt"
	"slices"
)

// A CART regression tree (squared error), grown as scikit-learn's DecisionTreeRegressor(criterion=
// "squared_error", max_depth, min_samples_leaf): at each node, over every column and every threshold
// halfway between consecutive distinct values, the split that maximises sum_l²/n_l + sum_r²/n_r (the
// children's squared error is smallest), each child keeping at least MinSamplesLeaf rows. A node is a
// leaf at MaxDepth, below 2·MinSamplesLeaf rows, when its values are all equal, or when no split lowers
// the error. Leaves predict their training rows' mean. Ties go to the lowest column, then the lowest
// threshold, as in FitTree. Importances are each column's total squared-error decrease, normalised.

// RegressionTreeFit is a fitted regression tree; a leaf's Proba holds its one predicted value.
type RegressionTreeFit struct {
	Nodes       []TreeNode `json:"nodes"`
	Importances []float64  `json:"importances"`
}

// FitRegressionTree grows a regression tree of y on X.
func FitRegressionTree(X *Matrix, y []float64, o TreeOptions) (*RegressionTreeFit, error) {
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
	g := &regTreeGrower{X: X, y: y, o: o, fit: &RegressionTreeFit{Importances: make([]float64, X.Cols)}}
	g.grow(rowIndices(X.Rows), 0)
	normalizeImportances(g.fit.Importances)
	return g.fit, nil
}

type regTreeGrower struct {
	X   *Matrix
	y   []float64
	o   TreeOptions
	fit *RegressionTreeFit
}

func (g *regTreeGrower) grow(rows []int, depth int) int {
	id := len(g.fit.Nodes)
	n := float64(len(rows))
	sum := 0.0
	lo, hi := g.y[rows[0]], g.y[rows[0]]
	for _, i := range rows {
		sum += g.y[i]
		lo, hi = min(lo, g.y[i]), max(hi, g.y[i])
	}
	g.fit.Nodes = append(g.fit.Nodes, TreeNode{Left: -1, Right: -1, Rows: len(rows), Proba: []float64{sum / n}})
	if depth >= g.o.MaxDepth || len(rows) < 2*g.o.MinSamplesLeaf || lo == hi {
		return id
	}
	parent := sum * sum / n
	bestCol, bestPos, best := -1, 0, parent
	var bestThr float64
	order := make([]int, len(rows))
	var bestOrder []int
	for col := 0; col < g.X.Cols; col++ {
		copy(order, rows)
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g.X.At(a, col), g.X.At(b, col)) })
		left := 0.0
		for pos := 1; pos < len(order); pos++ {
			left += g.y[order[pos-1]]
			a, b := g.X.At(order[pos-1], col), g.X.At(order[pos], col)
			if a == b || pos < g.o.MinSamplesLeaf || len(order)-pos < g.o.MinSamplesLeaf {
				continue
			}
			nl, nr := float64(pos), n-float64(pos)
			proxy := left*left/nl + (sum-left)*(sum-left)/nr
			if proxy > best*(1+1e-12) {
				bestCol, bestPos, best = col, pos, proxy
				bestThr = a/2 + b/2
				if bestThr == b {
					bestThr = a
				}
				bestOrder = append(bestOrder[:0], order...)
			}
		}
	}
	if bestCol < 0 {
		return id
	}
	// The node's squared error (sq - sum²/n) less its children's is best - parent.
	g.fit.Importances[bestCol] += best - parent
	l := g.grow(append([]int(nil), bestOrder[:bestPos]...), depth+1)
	r := g.grow(append([]int(nil), bestOrder[bestPos:]...), depth+1)
	g.fit.Nodes[id].Column, g.fit.Nodes[id].Threshold, g.fit.Nodes[id].Left, g.fit.Nodes[id].Right = bestCol, bestThr, l, r
	return id
}

// Predict returns each row's leaf mean.
func (f *RegressionTreeFit) Predict(X *Matrix) []float64 {
	out := make([]float64, X.Rows)
	for i := 0; i < X.Rows; i++ {
		n := 0
		for f.Nodes[n].Left >= 0 {
			if X.At(i, f.Nodes[n].Column) <= f.Nodes[n].Threshold {
				n = f.Nodes[n].Left
			} else {
				n = f.Nodes[n].Right
			}
		}
		out[i] = f.Nodes[n].Proba[0]
	}
	return out
}
