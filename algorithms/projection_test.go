package algorithms

import (
	"math"
	"slices"
	"testing"
)

// A projection of points spread along one line puts that line on the first axis with all the variance,
// keeps each row's label, is the same from the same seed, and is capped at the limit.
func TestProjectSampleFindsTheMainAxis(t *testing.T) {
	n := 5000
	X := NewMatrix(n, 3)
	labels := make([]int, n)
	for i := range n {
		v := float64(i%100) - 50
		copy(X.Row(i), []float64{v, 2 * v, -v})
		labels[i] = i % 7
	}
	p := ProjectSample(X, labels, 2000, 42)
	if p == nil || len(p.X) != 2000 || len(p.Y) != 2000 || len(p.Label) != 2000 || p.Rows != n {
		t.Fatalf("projection of %d rows with limit 2000: %+v", n, p)
	}
	if r := p.ExplainedVarianceRatio; len(r) != 2 || math.Abs(r[0]-1) > 1e-9 {
		t.Fatalf("explained variance ratios %v, want [1 ~0]", r)
	}
	rows := seededRowSample(n, 2000, 42)
	for i, r := range rows {
		// Along the line, |pc1| is the row's distance from the mean: |v|·√6 up to the sample's mean.
		if p.Label[i] != labels[r] || math.Abs(p.Y[i]) > 1e-3 {
			t.Fatalf("row %d: label %d (want %d), y %g (want 0)", i, p.Label[i], labels[r], p.Y[i])
		}
	}
	again := ProjectSample(X, labels, 2000, 42)
	if !slices.Equal(p.X, again.X) || !slices.Equal(p.Label, again.Label) {
		t.Fatal("the same seed gave another sample")
	}
	if other := ProjectSample(X, labels, 2000, 43); slices.Equal(p.X, other.X) {
		t.Fatal("another seed gave the same sample")
	}
}

func TestProjectSampleOfNothingIsNil(t *testing.T) {
	one := NewMatrix(1, 2)
	if ProjectSample(one, []int{0}, 2000, 1) != nil {
		t.Fatal("a projection of one row")
	}
	same := NewMatrix(10, 2) // no variance
	if ProjectSample(same, make([]int, 10), 2000, 1) != nil {
		t.Fatal("a projection of identical rows")
	}
}
