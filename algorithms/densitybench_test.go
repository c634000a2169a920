package algorithms

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// Benchmark data sets, generated deterministically so scikit-learn can be timed on exactly the same rows:
// SEGRUN_BENCH_DATA=dir go test -run TestWriteDensityBenchData ./algorithms/ writes them to dir as raw
// little-endian float64 files with a JSON description, and scripts/sklearn_density_timing.py times
// scikit-learn on them.

// densityBenchBlobs returns n rows of dim features: Gaussian blobs of different widths around 8 random
// centres, with the first 5% of rows replaced by uniform background noise, the shape DBSCAN is meant for.
func densityBenchBlobs(n, dim int, seed uint64) *Matrix {
	rng := rand.New(rand.NewPCG(seed, 1))
	const centres = 8
	centre := make([][]float64, centres)
	width := make([]float64, centres)
	for c := range centre {
		centre[c] = make([]float64, dim)
		for j := range centre[c] {
			centre[c][j] = rng.Float64()*20 - 10
		}
		width[c] = 0.5 + rng.Float64()
	}
	X := NewMatrix(n, dim)
	noise := n / 20
	for i := 0; i < n; i++ {
		row := X.Row(i)
		if i < noise {
			for j := range row {
				row[j] = rng.Float64()*28 - 14
			}
			continue
		}
		c := rng.IntN(centres)
		for j := range row {
			row[j] = centre[c][j] + rng.NormFloat64()*width[c]
		}
	}
	return X
}

// densityBenchCases are the benchmark inputs and parameters; eps 0.3 gives about 30 neighbours per row.
var densityBenchCases = []struct {
	Name       string  `json:"name"`
	Rows       int     `json:"rows"`
	Cols       int     `json:"cols"`
	Seed       uint64  `json:"seed"`
	Method     string  `json:"method"`
	Eps        float64 `json:"eps,omitempty"`
	MinSamples int     `json:"min_samples,omitempty"`
	Linkage    string  `json:"linkage,omitempty"`
	K          int     `json:"k,omitempty"`
}{
	{Name: "dbscan_100k_2d", Rows: 100000, Cols: 2, Seed: 1, Method: "dbscan", Eps: 0.3, MinSamples: 10},
	{Name: "ward_10k_4d", Rows: 10000, Cols: 4, Seed: 2, Method: "hierarchical", Linkage: "ward", K: 8},
}

func TestWriteDensityBenchData(t *testing.T) {
	dir := os.Getenv("SEGRUN_BENCH_DATA")
	if dir == "" {
		t.Skip("set SEGRUN_BENCH_DATA to a directory to write the benchmark data sets")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range densityBenchCases {
		X := densityBenchBlobs(c.Rows, c.Cols, c.Seed)
		raw := make([]byte, 8*len(X.Data))
		for i, v := range X.Data {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
		}
		if err := os.WriteFile(filepath.Join(dir, c.Name+".f64"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	desc, _ := json.MarshalIndent(densityBenchCases, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "density_bench.json"), desc, 0o644); err != nil {
		t.Fatal(err)
	}
	// Labels too, so the timing script can check scikit-learn computes the same partition.
	for _, c := range densityBenchCases {
		X := densityBenchBlobs(c.Rows, c.Cols, c.Seed)
		spec := ClusterSpec{Method: c.Method, K: c.K, Params: map[string]any{}}
		if c.Method == "dbscan" {
			spec.Params["eps"], spec.Params["min_samples"] = c.Eps, c.MinSamples
		} else {
			spec.Params["linkage"] = c.Linkage
		}
		fit, err := Cluster(X, spec)
		if err != nil {
			t.Fatal(err)
		}
		labels, _ := json.Marshal(fit.Labels)
		if err := os.WriteFile(filepath.Join(dir, c.Name+".labels.json"), labels, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkDBSCAN100k2D(b *testing.B) {
	c := densityBenchCases[0]
	X := densityBenchBlobs(c.Rows, c.Cols, c.Seed)
	spec := ClusterSpec{Method: "dbscan", Params: map[string]any{"eps": c.Eps, "min_samples": c.MinSamples}}
	for b.Loop() {
		if _, err := Cluster(X, spec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDBSCAN100k2DOneWorker(b *testing.B) {
	c := densityBenchCases[0]
	X := densityBenchBlobs(c.Rows, c.Cols, c.Seed)
	spec := ClusterSpec{Method: "dbscan", Workers: 1,
		Params: map[string]any{"eps": c.Eps, "min_samples": c.MinSamples}}
	for b.Loop() {
		if _, err := Cluster(X, spec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHierarchicalWard10k(b *testing.B) {
	c := densityBenchCases[1]
	X := densityBenchBlobs(c.Rows, c.Cols, c.Seed)
	spec := ClusterSpec{Method: "hierarchical", K: c.K, Params: map[string]any{"linkage": c.Linkage}}
	for b.Loop() {
		if _, err := Cluster(X, spec); err != nil {
			b.Fatal(err)
		}
	}
}
