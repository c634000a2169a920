package algorithms

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
)

// Gradient-boosted trees on histogram-binned features, grown as scikit-learn's HistGradientBoosting
// estimators grow them (early_stopping=False): each column is cut into at most MaxBins-1 bins by quantile
// thresholds of the training values (midpoints between distinct values when there are fewer), and each
// iteration fits one tree per output (one for binary log loss and squared error, one per class for the
// multiclass softmax) to the loss's gradients and hessians by Newton steps. A tree is grown best-first:
// the leaf whose best split gains most is split next, until MaxLeafNodes leaves, MaxDepth, or no split
// gains. A split's gain is GL²/(HL+l2) + GR²/(HR+l2) − G²/(H+l2) over the gradient sums G and hessian
// sums H of its children; each child keeps MinSamplesLeaf rows and a hessian of at least 1e-3. A leaf's
// value is −LearningRate · G/(H+l2).
//
// Why the result is the same whatever GOMAXPROCS is: the histograms are built one column per goroutine,
// each summing its rows in the node's fixed row order, and everything else (partitioning, the choice of
// splits, the updates) is sequential or elementwise. The seed decides only the rows the bin thresholds
// are taken from above BinSampleRows rows, as scikit-learn subsamples them.
//
// Differences from scikit-learn, none of which changes the kind of model: missing values are not learnt
// (the encoder has already replaced them by the training mean); ties between equally good splits go to the
// lowest column, then the lowest bin; importances (which HistGradientBoosting does not offer) are each
// column's total split gain, normalised to sum to 1.

// BoostOptions are the boosting's settings; zero means the default.
type BoostOptions struct {
	LearningRate   float64 // default 0.1
	MaxIter        int     // boosting iterations; default 100
	MaxDepth       int     // 0: no limit besides MaxLeafNodes
	MaxLeafNodes   int     // default 31
	MinSamplesLeaf int     // default 20
	L2             float64 // l2 regularisation of the leaf values; default 0
	MaxBins        int     // bins per column, at most 255 (default 255)
	Seed           uint64
	Workers        int
}

// Boosting defaults, scikit-learn's.
const (
	DefaultBoostLearningRate = 0.1
	DefaultBoostMaxIter      = 100
	DefaultBoostMaxLeafNodes = 31
	DefaultBoostMinLeaf      = 20
	DefaultBoostMaxBins      = 255
	// BinSampleRows is the most rows the bin thresholds are computed from (scikit-learn's subsample).
	BinSampleRows   = 200_000
	boostMinHessian = 1e-3
)

// BoostNode is a node of a boosted tree: a split (rows with x[Column] <= Threshold go Left) or a leaf
// (Left -1) adding Value to the raw prediction.
type BoostNode struct {
	Column    int     `json:"column,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	Left      int     `json:"left"`
	Right     int     `json:"right,omitempty"`
	Value     float64 `json:"value,omitempty"`
}

// BoostFit is a fitted boosting model.
type BoostFit struct {
	// Classes is 0 for a regression, 2 for binary log loss, more for the softmax.
	Classes int `json:"classes"`
	// Baseline is the raw prediction before any tree, per output.
	Baseline []float64 `json:"baseline"`
	// Trees are iteration-major: iteration t's tree for output k is Trees[t*outputs+k].
	Trees       [][]BoostNode `json:"trees"`
	Importances []float64     `json:"importances"`
	Iterations  int           `json:"iterations"`
}

func (o *BoostOptions) defaults() error {
	if o.LearningRate == 0 {
		o.LearningRate = DefaultBoostLearningRate
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultBoostMaxIter
	}
	if o.MaxLeafNodes == 0 {
		o.MaxLeafNodes = DefaultBoostMaxLeafNodes
	}
	if o.MinSamplesLeaf == 0 {
		o.MinSamplesLeaf = DefaultBoostMinLeaf
	}
	if o.MaxBins == 0 {
		o.MaxBins = DefaultBoostMaxBins
	}
	switch {
	case o.LearningRate < 0 || o.MaxIter < 0 || o.MaxDepth < 0 || o.MinSamplesLeaf < 0 || o.L2 < 0:
		return fmt.Errorf("learning_rate, max_iter, max_depth, min_samples_leaf and l2 must not be negative")
	case o.MaxLeafNodes < 2:
		return fmt.Errorf("max_leaf_nodes must be at least 2, got %d", o.MaxLeafNodes)
	case o.MaxBins < 2 || o.MaxBins > 255:
		return fmt.Errorf("max_bins must be in 2..255, got %d", o.MaxBins)
	}
	return nil
}

// FitBoostedClassifier boosts trees on the log loss of y (class codes 0..classes-1).
func FitBoostedClassifier(X *Matrix, y []int, classes int, o BoostOptions) (*BoostFit, error) {
	if classes < 2 {
		return nil, fmt.Errorf("boosted trees need two classes or more, got %d", classes)
	}
	t := make([]float64, len(y))
	for i, c := range y {
		t[i] = float64(c)
	}
	return fitBoost(X, t, classes, o)
}

// FitBoostedRegressor boosts trees on the squared error of y.
func FitBoostedRegressor(X *Matrix, y []float64, o BoostOptions) (*BoostFit, error) {
	return fitBoost(X, y, 0, o)
}

// binnedData is the training matrix as bin codes, column-major, with each column's thresholds.
type binnedData struct {
	n, p       int
	codes      [][]uint8
	thresholds [][]float64
}

// binThresholds are a column's bin cuts: midpoints between distinct values when they fit in maxBins bins,
// else the midpoint percentiles of (a seeded sample of) the values, as scikit-learn's _find_binning_thresholds.
func binThresholds(values []float64, maxBins int) []float64 {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	distinct := slices.Compact(slices.Clone(sorted))
	if len(distinct) <= maxBins {
		out := make([]float64, 0, len(distinct))
		for i := 1; i < len(distinct); i++ {
			out = append(out, distinct[i-1]+(distinct[i]-distinct[i-1])/2)
		}
		return out
	}
	out := make([]float64, 0, maxBins-1)
	n := len(sorted)
	for k := 1; k < maxBins; k++ {
		// numpy's percentile(method="midpoint"): the mean of the values around the fractional rank.
		pos := float64(k) / float64(maxBins) * float64(n-1)
		lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
		v := sorted[lo]
		if lo != hi {
			v = (sorted[lo] + sorted[hi]) / 2
		}
		out = append(out, v)
	}
	return slices.Compact(out)
}

func binColumns(X *Matrix, maxBins int, seed uint64, workers int) *binnedData {
	n, p := X.Rows, X.Cols
	d := &binnedData{n: n, p: p, codes: make([][]uint8, p), thresholds: make([][]float64, p)}
	sample := []int(nil)
	if n > BinSampleRows {
		sample = newSeededRand(seed).Perm(n)[:BinSampleRows]
		slices.Sort(sample)
	}
	parallelFor(p, workers, func(_, j int) {
		var vals []float64
		if sample != nil {
			vals = make([]float64, len(sample))
			for r, i := range sample {
				vals[r] = X.At(i, j)
			}
		} else {
			vals = make([]float64, n)
			for i := range vals {
				vals[i] = X.At(i, j)
			}
		}
		thr := binThresholds(vals, maxBins)
		codes := make([]uint8, n)
		for i := 0; i < n; i++ {
			codes[i] = uint8(binOf(thr, X.At(i, j)))
		}
		d.codes[j], d.thresholds[j] = codes, thr
	})
	return d
}

// binOf is the number of thresholds below x: x is in bin b when thresholds[b-1] < x <= thresholds[b].
func binOf(thr []float64, x float64) int {
	lo, hi := 0, len(thr)
	for lo < hi {
		mid := (lo + hi) / 2
		if x <= thr[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

type histBin struct {
	g, h float64
	n    int32
}

// boostLeaf is a leaf being grown: its rows rows[start:end] of the grower's index and its best split.
type boostLeaf struct {
	node       int
	start, end int
	depth      int
	g, h       float64
	hist       []histBin // p*bins
	gain       float64
	col, bin   int // -1: no split
	gl, hl     float64
	nl         int
}

type leafHeap []*boostLeaf

func (q leafHeap) Len() int { return len(q) }
func (q leafHeap) Less(a, b int) bool {
	if q[a].gain != q[b].gain {
		return q[a].gain > q[b].gain
	}
	return q[a].node < q[b].node
}
func (q leafHeap) Swap(a, b int) { q[a], q[b] = q[b], q[a] }
func (q *leafHeap) Push(x any)   { *q = append(*q, x.(*boostLeaf)) }
func (q *leafHeap) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

type boostGrower struct {
	d      *binnedData
	o      BoostOptions
	bins   int
	grad   []float64
	hess   []float64
	rows   []int32
	buf    []int32
	nodes  []BoostNode
	gains  []float64
	leaves []*boostLeaf
}

func (g *boostGrower) histogram(l *boostLeaf) {
	l.hist = make([]histBin, g.d.p*g.bins)
	rows := g.rows[l.start:l.end]
	parallelFor(g.d.p, g.o.Workers, func(_, j int) {
		h := l.hist[j*g.bins : (j+1)*g.bins]
		codes := g.d.codes[j]
		for _, i := range rows {
			b := &h[codes[i]]
			b.g += g.grad[i]
			b.h += g.hess[i]
			b.n++
		}
	})
}

// bestSplit finds l's best split from its histogram; col -1 when none gains.
func (g *boostGrower) bestSplit(l *boostLeaf) {
	l.col = -1
	n := l.end - l.start
	if n < 2*g.o.MinSamplesLeaf || (g.o.MaxDepth > 0 && l.depth >= g.o.MaxDepth) {
		return
	}
	parent := l.g * l.g / (l.h + g.o.L2)
	for j := 0; j < g.d.p; j++ {
		h := l.hist[j*g.bins : (j+1)*g.bins]
		var gl, hl float64
		nl := 0
		for b := 0; b < len(g.d.thresholds[j]); b++ {
			gl, hl, nl = gl+h[b].g, hl+h[b].h, nl+int(h[b].n)
			nr := n - nl
			if nl < g.o.MinSamplesLeaf {
				continue
			}
			if nr < g.o.MinSamplesLeaf {
				break
			}
			gr, hr := l.g-gl, l.h-hl
			if hl < boostMinHessian || hr < boostMinHessian {
				continue
			}
			gain := gl*gl/(hl+g.o.L2) + gr*gr/(hr+g.o.L2) - parent
			if gain > 1e-12*math.Max(1, math.Abs(parent)) && (l.col < 0 || gain > l.gain) {
				l.gain, l.col, l.bin, l.gl, l.hl, l.nl = gain, j, b, gl, hl, nl
			}
		}
	}
}

// grow grows one tree on the current gradients; it returns the tree, and leaves the leaves (with their
// rows in g.rows) in g.leaves.
func (g *boostGrower) grow() []BoostNode {
	g.nodes = g.nodes[:0]
	for i := range g.rows {
		g.rows[i] = int32(i)
	}
	root := &boostLeaf{node: 0, start: 0, end: len(g.rows)}
	for _, i := range g.rows {
		root.g += g.grad[i]
		root.h += g.hess[i]
	}
	g.nodes = append(g.nodes, BoostNode{Left: -1})
	g.histogram(root)
	g.bestSplit(root)
	var done []*boostLeaf
	q := &leafHeap{}
	if root.col >= 0 {
		heap.Push(q, root)
	} else {
		done = append(done, root)
	}
	leaves := 1
	for q.Len() > 0 && leaves < g.o.MaxLeafNodes {
		l := heap.Pop(q).(*boostLeaf)
		left, right := g.split(l)
		leaves++
		for _, c := range []*boostLeaf{left, right} {
			g.bestSplit(c)
			if c.col >= 0 {
				heap.Push(q, c)
			} else {
				c.hist = nil
				done = append(done, c)
			}
		}
	}
	for _, l := range *q {
		l.hist = nil
		done = append(done, l)
	}
	for _, l := range done {
		g.nodes[l.node].Value = -g.o.LearningRate * l.g / (l.h + g.o.L2)
	}
	g.leaves = done
	return slices.Clone(g.nodes)
}

// split partitions l's rows stably by its split and returns the children, the smaller's histogram built
// from its rows and the larger's by subtraction from l's.
func (g *boostGrower) split(l *boostLeaf) (*boostLeaf, *boostLeaf) {
	codes := g.d.codes[l.col]
	rows := g.rows[l.start:l.end]
	nl := 0
	nr := 0
	for _, i := range rows {
		if int(codes[i]) <= l.bin {
			rows[nl] = i
			nl++
		} else {
			g.buf[nr] = i
			nr++
		}
	}
	copy(rows[nl:], g.buf[:nr])
	id := len(g.nodes)
	g.nodes[l.node].Column, g.nodes[l.node].Threshold = l.col, g.d.thresholds[l.col][l.bin]
	g.nodes[l.node].Left, g.nodes[l.node].Right = id, id+1
	g.nodes = append(g.nodes, BoostNode{Left: -1}, BoostNode{Left: -1})
	g.gains[l.col] += l.gain
	left := &boostLeaf{node: id, start: l.start, end: l.start + nl, depth: l.depth + 1, g: l.gl, h: l.hl}
	right := &boostLeaf{node: id + 1, start: l.start + nl, end: l.end, depth: l.depth + 1, g: l.g - l.gl, h: l.h - l.hl}
	small, large := left, right
	if nl > nr {
		small, large = right, left
	}
	g.histogram(small)
	large.hist = l.hist
	for k := range large.hist {
		large.hist[k].g -= small.hist[k].g
		large.hist[k].h -= small.hist[k].h
		large.hist[k].n -= small.hist[k].n
	}
	l.hist = nil
	return left, right
}

func fitBoost(X *Matrix, y []float64, classes int, o BoostOptions) (*BoostFit, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	n := X.Rows
	if n == 0 || n != len(y) {
		return nil, fmt.Errorf("boosted trees need as many labels as rows (%d rows, %d labels)", n, len(y))
	}
	outputs := 1
	if classes > 2 {
		outputs = classes
	}
	fit := &BoostFit{Classes: classes, Baseline: make([]float64, outputs), Importances: make([]float64, X.Cols)}
	switch {
	case classes == 0:
		fit.Baseline[0] = meanOf(y)
	case classes == 2:
		p := meanOf(y)
		if p <= 0 || p >= 1 {
			return nil, fmt.Errorf("boosted trees need both classes among the training rows")
		}
		fit.Baseline[0] = math.Log(p / (1 - p))
	default:
		counts := make([]float64, classes)
		for _, c := range y {
			counts[int(c)]++
		}
		for k := range counts {
			if counts[k] == 0 {
				return nil, fmt.Errorf("class %d has no training rows", k)
			}
			fit.Baseline[k] = math.Log(counts[k] / float64(n))
		}
	}
	d := binColumns(X, o.MaxBins, o.Seed, o.Workers)
	g := &boostGrower{d: d, o: o, bins: o.MaxBins + 1, rows: make([]int32, n), buf: make([]int32, n), gains: fit.Importances,
		grad: make([]float64, n), hess: make([]float64, n)}
	raw := make([]float64, n*outputs) // row-major
	for i := 0; i < n; i++ {
		copy(raw[i*outputs:(i+1)*outputs], fit.Baseline)
	}
	grads := make([][]float64, outputs)
	hesss := make([][]float64, outputs)
	for k := range grads {
		grads[k], hesss[k] = make([]float64, n), make([]float64, n)
	}
	for it := 0; it < o.MaxIter; it++ {
		// Gradients and hessians of the loss at the current raw predictions, for every output at once.
		forChunks(n, o.Workers, 16384, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				switch {
				case classes == 0:
					grads[0][i], hesss[0][i] = raw[i]-y[i], 1
				case classes == 2:
					p := sigmoid(raw[i])
					grads[0][i], hesss[0][i] = p-y[i], p*(1-p)
				default:
					r := raw[i*outputs : (i+1)*outputs]
					m := slices.Max(r)
					s := 0.0
					for _, v := range r {
						s += math.Exp(v - m)
					}
					for k, v := range r {
						p := math.Exp(v-m) / s
						t := 0.0
						if int(y[i]) == k {
							t = 1
						}
						grads[k][i], hesss[k][i] = p-t, p*(1-p)
					}
				}
			}
		})
		for k := 0; k < outputs; k++ {
			g.grad, g.hess = grads[k], hesss[k]
			tree := g.grow()
			fit.Trees = append(fit.Trees, tree)
			for _, l := range g.leaves {
				v := tree[l.node].Value
				for _, i := range g.rows[l.start:l.end] {
					raw[int(i)*outputs+k] += v
				}
			}
		}
		fit.Iterations++
	}
	normalizeImportances(fit.Importances)
	return fit, nil
}

func meanOf(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// outputs is the number of raw predictions per row.
func (f *BoostFit) outputs() int {
	if f.Classes > 2 {
		return f.Classes
	}
	return 1
}

// Raw returns each row's raw predictions (log-odds, softmax logits or the predicted value).
func (f *BoostFit) Raw(X *Matrix) *Matrix {
	k := f.outputs()
	R := NewMatrix(X.Rows, k)
	for i := 0; i < X.Rows; i++ {
		r := R.Row(i)
		copy(r, f.Baseline)
		x := X.Row(i)
		for t, tree := range f.Trees {
			n := 0
			for tree[n].Left >= 0 {
				if x[tree[n].Column] <= tree[n].Threshold {
					n = tree[n].Left
				} else {
					n = tree[n].Right
				}
			}
			r[t%k] += tree[n].Value
		}
	}
	return R
}

// Predict returns a regression's predicted values.
func (f *BoostFit) Predict(X *Matrix) []float64 {
	return f.Raw(X).Data
}

// Proba returns a classifier's class probabilities.
func (f *BoostFit) Proba(X *Matrix) *Matrix {
	R := f.Raw(X)
	P := NewMatrix(X.Rows, f.Classes)
	for i := 0; i < X.Rows; i++ {
		r, p := R.Row(i), P.Row(i)
		if f.Classes == 2 {
			p[1] = sigmoid(r[0])
			p[0] = 1 - p[1]
			continue
		}
		m := slices.Max(r)
		s := 0.0
		for k, v := range r {
			p[k] = math.Exp(v - m)
			s += p[k]
		}
		for k := range p {
			p[k] /= s
		}
	}
	return P
}
