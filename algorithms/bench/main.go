// Command algobench times one segrun clustering method on a dataset written by scripts/bench_algorithms.py,
// so that segrun and scikit-learn are compared on the same data, machine and run.
//
// The dataset is raw little-endian float64, row-major, with its shape in a JSON header beside it
// (<data>.json: {"rows": n, "cols": d}). algobench fits the method -reps times, repetition r with seed
// -seed + r (so that the luck of one seeding does not decide the comparison; the Python side does the same
// with random_state r), and prints one JSON object on stdout: each repetition's wall-clock seconds and fit
// report (inertia, log-likelihood, iterations...), and the median seconds.
//
//	algobench -data .bench/kmeans.f64 -method kmeans -k 8 -params '{"n_init": 1}' -reps 5
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	"github.com/segrun/segrun/algorithms"
)

type header struct {
	Rows int `json:"rows"`
	Cols int `json:"cols"`
}

type result struct {
	Method        string       `json:"method"`
	Rows          int          `json:"rows"`
	Cols          int          `json:"cols"`
	K             int          `json:"k"`
	Reps          []repetition `json:"reps"`
	MedianSeconds float64      `json:"median_seconds"`
}

type repetition struct {
	Seed     uint64                   `json:"seed"`
	Seconds  float64                  `json:"seconds"`
	Report   algorithms.ClusterReport `json:"report"`
	Clusters int                      `json:"clusters"`
}

func main() {
	data := flag.String("data", "", "raw little-endian float64 file; its shape is in <data>.json")
	method := flag.String("method", "kmeans", "clustering method: "+fmt.Sprint(algorithms.Methods()))
	k := flag.Int("k", 8, "number of clusters")
	params := flag.String("params", "{}", "method params as a JSON object (scikit-learn names)")
	reps := flag.Int("reps", 5, "repetitions; the median is reported")
	seed := flag.Uint64("seed", 0, "seed of every random choice")
	workers := flag.Int("workers", 0, "goroutines; 0 means GOMAXPROCS")
	flag.Parse()
	if err := run(*data, *method, *k, *params, *reps, *seed, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "algobench:", err)
		os.Exit(1)
	}
}

func run(path, method string, k int, paramsJSON string, reps int, seed uint64, workers int) error {
	X, err := readMatrix(path)
	if err != nil {
		return err
	}
	var params map[string]any
	if err := json.Unmarshal([]byte(paramsJSON), &params); err != nil {
		return fmt.Errorf("-params: %w", err)
	}
	res := result{Method: method, Rows: X.Rows, Cols: X.Cols, K: k}
	var sorted []float64
	for r := 0; r < max(reps, 1); r++ {
		spec := algorithms.ClusterSpec{Method: method, K: k, Seed: seed + uint64(r), Params: params,
			Workers: workers}
		start := time.Now()
		c, err := algorithms.Cluster(X, spec)
		elapsed := time.Since(start).Seconds()
		if err != nil {
			return err
		}
		res.Reps = append(res.Reps, repetition{Seed: spec.Seed, Seconds: elapsed, Report: c.Report,
			Clusters: countClusters(c.Labels)})
		sorted = append(sorted, elapsed)
	}
	sort.Float64s(sorted)
	res.MedianSeconds = sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		res.MedianSeconds = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(res)
}

func readMatrix(path string) (*algorithms.Matrix, error) {
	hb, err := os.ReadFile(path + ".json")
	if err != nil {
		return nil, err
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%s.json: %w", path, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(raw) != 8*h.Rows*h.Cols {
		return nil, fmt.Errorf("%s: %d bytes, header says %d×%d float64", path, len(raw), h.Rows, h.Cols)
	}
	X := algorithms.NewMatrix(h.Rows, h.Cols)
	for i := range X.Data {
		X.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return X, nil
}

// countClusters counts distinct non-noise labels.
func countClusters(labels []int) int {
	seen := map[int]bool{}
	for _, l := range labels {
		if l != algorithms.Noise {
			seen[l] = true
		}
	}
	return len(seen)
}
