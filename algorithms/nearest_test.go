package algorithms

import (
	"math/rand/v2"
	"testing"
)

// bruteNearestForTest is the obvious nearest-centroid rule by exact squared distance, first index on ties.
func bruteNearestForTest(C, X *Matrix) []int {
	labels := make([]int, X.Rows)
	for i := 0; i < X.Rows; i++ {
		best := 0
		for j := 1; j < C.Rows; j++ {
			if squaredDistance(X.Row(i), C.Row(j)) < squaredDistance(X.Row(i), C.Row(best)) {
				best = j
			}
		}
		labels[i] = best
	}
	return labels
}

func TestNearestCentroidMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13} {
		for _, k := range []int{1, 2, 3, 8, 17} {
			// Offsets far from the origin check the centred expansion keeps the ranking exact enough.
			for _, offset := range []float64{0, 1e6} {
				X := NewMatrix(500, d)
				C := NewMatrix(k, d)
				for i := range X.Data {
					X.Data[i] = offset + rng.NormFloat64()
				}
				for i := range C.Data {
					C.Data[i] = offset + rng.NormFloat64()
				}
				got, want := NearestCentroid(C, X), bruteNearestForTest(C, X)
				for i := range want {
					if got[i] != want[i] {
						dg, dw := squaredDistance(X.Row(i), C.Row(got[i])), squaredDistance(X.Row(i), C.Row(want[i]))
						// Only a near tie may resolve differently, by rounding of the expanded form.
						if dg-dw > 1e-9*(1+dw) {
							t.Fatalf("d=%d k=%d offset=%g row %d: label %d (dist %g), nearest %d (dist %g)", d, k,
								offset, i, got[i], dg, want[i], dw)
						}
					}
				}
			}
		}
	}
}

func TestNearestCentroidTiesGoToLowerIndex(t *testing.T) {
	// Centroids whose mean is exactly the origin, so the expanded form has no rounding and the tie is exact.
	C := &Matrix{Rows: 4, Cols: 2, Data: []float64{1, 0, -1, 0, 1, 0, -1, 0}}
	X := &Matrix{Rows: 2, Cols: 2, Data: []float64{0, 0, 0, 5}}
	labels := NearestCentroid(C, X)
	if labels[0] != 0 || labels[1] != 0 {
		t.Errorf("labels %v, want [0 0] (equidistant centroids: the first wins, as numpy's argmin)", labels)
	}
}

func TestNearestCentroidRejectsMismatchedShapes(t *testing.T) {
	X := &Matrix{Rows: 2, Cols: 2, Data: []float64{0, 0, 1, 1}}
	for _, C := range []*Matrix{nil, {Rows: 0, Cols: 2}, {Rows: 1, Cols: 3, Data: []float64{1, 2, 3}},
		{Rows: 2, Cols: 2, Data: []float64{1}}} {
		if got := NearestCentroid(C, X); got != nil {
			t.Errorf("centroids %+v: got %v, want nil", C, got)
		}
	}
}
