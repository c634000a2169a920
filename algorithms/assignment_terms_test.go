package algorithms

import (
	"math/rand/v2"
	"testing"
)

// The terms reproduce the Go assignment bit for bit: NearestScores ranks as nearestFinder scores (every
// score equal), GMMLogDensities equals weightedLogProb, for widths around the groups of four.
func TestAssignmentTermsReproduceGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for d := 1; d <= 9; d++ {
		k := 2 + d%4
		C := NewMatrix(k, d)
		for i := range C.Data {
			C.Data[i] = rng.NormFloat64()*3 + 100
		}
		f := newNearestFinder(k, d)
		f.setCentroids(C.Data)
		terms := NearestCentroidTerms(C)
		s := f.newScratch()
		for range 200 {
			x := make([]float64, d)
			for m := range x {
				x[m] = rng.NormFloat64()*5 + 100
			}
			want := f.scores(x, &s)
			for j, v := range NearestScores(terms, x) {
				if v != want[j] {
					t.Fatalf("d=%d centroid %d: %v, nearestFinder %v", d, j, v, want[j])
				}
			}
		}
		for _, cov := range gmmCovarianceTypes {
			X := NewMatrix(300, d)
			for i := range X.Data {
				X.Data[i] = rng.NormFloat64() + float64(i%3)
			}
			c, err := Cluster(X, ClusterSpec{Method: "gmm", K: 3, Seed: 1, Params: map[string]any{"covariance_type": cov}})
			if err != nil {
				t.Fatal(err)
			}
			e, _ := c.Model.GMM.evaluator()
			gt, err := c.Model.GMM.LogDensityTerms()
			if err != nil {
				t.Fatal(err)
			}
			want, diff := make([]float64, 3), make([]float64, d)
			for i := range X.Rows {
				e.weightedLogProb(X.Row(i), want, diff)
				for j, v := range GMMLogDensities(gt, X.Row(i)) {
					if v != want[j] {
						t.Fatalf("d=%d %s component %d: %v, weightedLogProb %v", d, cov, j, v, want[j])
					}
				}
			}
		}
	}
}
