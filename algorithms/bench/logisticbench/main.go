// Command logisticbench times segrun's logistic regression on a dataset written by scripts/bench_models.py,
// so that segrun and scikit-learn's lbfgs are compared on the same data, machine and run.
//
// The dataset is raw little-endian float64, row-major, the label (0 or 1) in the last column, its shape in
// <data>.json ({"rows": n, "cols": d + 1}). It fits -reps times and prints one JSON object: each
// repetition's seconds, iterations, and the coefficients of the last.
//
//	logisticbench -data .bench/logistic.f64 -C 1 -reps 3
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

func main() {
	data := flag.String("data", "", "the dataset (raw float64)")
	C := flag.Float64("C", 1, "inverse regularisation strength")
	tol := flag.Float64("tol", 0, "gradient tolerance (0: the default)")
	reps := flag.Int("reps", 3, "repetitions")
	flag.Parse()
	var h struct{ Rows, Cols int }
	head, err := os.ReadFile(*data + ".json")
	if err == nil {
		err = json.Unmarshal(head, &h)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "logisticbench:", err)
		os.Exit(2)
	}
	raw, err := os.ReadFile(*data)
	if err != nil || len(raw) != 8*h.Rows*h.Cols {
		fmt.Fprintln(os.Stderr, "logisticbench: unreadable data", err)
		os.Exit(2)
	}
	X := algorithms.NewMatrix(h.Rows, h.Cols-1)
	y := make([]int, h.Rows)
	for i := 0; i < h.Rows; i++ {
		for j := 0; j < h.Cols; j++ {
			v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*(i*h.Cols+j):]))
			if j == h.Cols-1 {
				y[i] = int(v)
			} else {
				X.Data[i*X.Cols+j] = v
			}
		}
	}
	var seconds []float64
	var last *algorithms.LogisticFit
	var iters []int
	for r := 0; r < *reps; r++ {
		start := time.Now()
		fit, err := algorithms.FitLogistic(X, y, 2, algorithms.LogisticOptions{C: *C, Tol: *tol})
		if err != nil {
			fmt.Fprintln(os.Stderr, "logisticbench:", err)
			os.Exit(1)
		}
		seconds = append(seconds, time.Since(start).Seconds())
		iters = append(iters, fit.Iterations)
		last = fit
	}
	sorted := append([]float64(nil), seconds...)
	sort.Float64s(sorted)
	out, _ := json.Marshal(map[string]any{"seconds": seconds, "median_seconds": sorted[len(sorted)/2], "iterations": iters,
		"coef": last.Coef[0], "intercept": last.Intercept[0], "converged": last.Converged})
	fmt.Println(string(out))
}
