package algorithms

import "math"

// Projection is a seeded sample of a clustering's rows on the first two principal components of its
// prepared (scaled) features: what a scatter plot of the clusters needs, small enough to store with every
// version. The axes are the sample's own principal components (a PCA of at most a few thousand rows costs
// nothing; the population's would cost a pass over every row for a picture that looks the same).
type Projection struct {
	// Rows is how many rows were clustered; the sample is len(Label) of them.
	Rows int `json:"rows"`
	// ExplainedVarianceRatio is each axis's share of the sample's variance (one entry when the features
	// have a single dimension).
	ExplainedVarianceRatio []float64 `json:"explained_variance_ratio"`
	// X and Y are the sampled rows' coordinates, rounded to 3 decimals (the features are scaled, so that
	// is far below what a plot shows); Label is each row's cluster label as the caller gave it (Noise for
	// noise).
	X     []float64 `json:"x"`
	Y     []float64 `json:"y"`
	Label []int     `json:"label"`
}

// ProjectSample draws a seeded sample of at most limit rows of X (in row order) and projects it on its
// first two principal components. It returns nil when there is nothing to draw (fewer than two rows, or
// rows without variance): a missing picture, not a failed run.
func ProjectSample(X *Matrix, labels []int, limit int, seed uint64) *Projection {
	if X == nil || X.Rows < 2 || X.Cols == 0 || limit < 2 {
		return nil
	}
	rows := seededRowSample(X.Rows, limit, seed)
	sample := gatherRows(X, rows)
	k := min(2, X.Cols, sample.Rows)
	// fitPCA's ratios are each kept component's share of the variance of every component.
	m, projected, err := fitPCA(sample, PCASpec{Components: k})
	if err != nil {
		return nil
	}
	p := &Projection{Rows: X.Rows, ExplainedVarianceRatio: m.ExplainedVarianceRatio,
		X: make([]float64, len(rows)), Y: make([]float64, len(rows)), Label: make([]int, len(rows))}
	for i, r := range rows {
		p.X[i] = round3(projected.At(i, 0))
		if k > 1 {
			p.Y[i] = round3(projected.At(i, 1))
		}
		p.Label[i] = labels[r]
	}
	return p
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
