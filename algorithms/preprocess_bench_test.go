package algorithms

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// prepBenchFrame is n rows of d skewed, positive columns, like RFM-style customer features.
func prepBenchFrame(n, d int) *Frame {
	r := rand.New(rand.NewPCG(7, 11))
	f := &Frame{}
	for j := 0; j < d; j++ {
		col := make([]float64, n)
		for i := range col {
			col[i] = r.ExpFloat64() * float64(10*(j+1))
		}
		f.Columns = append(f.Columns, Column{Name: fmt.Sprintf("f%d", j), Num: col})
	}
	return f
}

// BenchmarkFitPrep is the hot path: 1M customers × 8 features, log1p then standard scaling.
func BenchmarkFitPrep(b *testing.B) {
	f := prepBenchFrame(1_000_000, 8)
	specs := []struct {
		name string
		spec PrepSpec
	}{
		{"standard", PrepSpec{}},
		{"log1p+standard", PrepSpec{Transform: eachColumn(f, Transform{Kind: "log1p"})}},
		{"robust", PrepSpec{Scale: "robust"}},
		{"log1p+standard+pca3", PrepSpec{Transform: eachColumn(f, Transform{Kind: "log1p"}), PCA: &PCASpec{Components: 3}}},
	}
	for _, s := range specs {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, _, err := FitPrep(f, s.spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
