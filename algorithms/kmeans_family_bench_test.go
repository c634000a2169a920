package algorithms

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// kmeansBlobsForTest generates n rows of d features around k random centres in [-10, 10]^d with the given standard
// deviation, like scikit-learn's make_blobs; deterministic for a seed.
func kmeansBlobsForTest(n, d, k int, std float64, seed uint64) *Matrix {
	rng := rand.New(rand.NewPCG(seed, 99))
	centers := make([]float64, k*d)
	for i := range centers {
		centers[i] = rng.Float64()*20 - 10
	}
	X := NewMatrix(n, d)
	for i := 0; i < n; i++ {
		c := centers[(i%k)*d : (i%k+1)*d]
		for m, v := range c {
			X.Data[i*d+m] = v + std*rng.NormFloat64()
		}
	}
	return X
}

var (
	benchKMeansOnce sync.Once
	benchKMeansX    *Matrix
	benchGMMOnce    sync.Once
	benchGMMX       *Matrix
)

func BenchmarkKMeans1Mx8(b *testing.B) {
	benchKMeansOnce.Do(func() { benchKMeansX = kmeansBlobsForTest(1_000_000, 8, 8, 4, 1) })
	b.ReportAllocs()
	for b.Loop() {
		c, err := Cluster(benchKMeansX, ClusterSpec{Method: "kmeans", K: 8, Seed: 0})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c.Report.NIter), "iters")
	}
}

func BenchmarkGMM1Mx4(b *testing.B) {
	benchGMMOnce.Do(func() { benchGMMX = kmeansBlobsForTest(1_000_000, 4, 4, 2, 2) })
	b.ReportAllocs()
	for b.Loop() {
		c, err := Cluster(benchGMMX, ClusterSpec{Method: "gmm", K: 4, Seed: 0})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c.Report.NIter), "iters")
	}
}
