// Command boostbench times segrun's boosted trees on a dataset written by scripts/bench_boost.py, so that
// segrun and scikit-learn's HistGradientBoostingClassifier are compared on the same data, machine and run.
//
// The dataset is raw little-endian float64, row-major, the label (0 or 1) in the last column, its shape in
// <data>.json ({"rows": n, "cols": d + 1, "train": rows fitted}); the rows after "train" are the test part.
// It fits -reps times and prints one JSON object: each repetition's wall and CPU seconds and the last fit's
// test ROC AUC.
//
//	boostbench -data .bench/boost.f64 -reps 3
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"syscall"
	"time"

	"github.com/segrun/segrun/algorithms"
)

func main() {
	data := flag.String("data", "", "the dataset (raw float64)")
	reps := flag.Int("reps", 1, "repetitions")
	workers := flag.Int("workers", 0, "goroutines (0: GOMAXPROCS)")
	flag.Parse()
	var h struct{ Rows, Cols, Train int }
	head, err := os.ReadFile(*data + ".json")
	if err == nil {
		err = json.Unmarshal(head, &h)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "boostbench:", err)
		os.Exit(2)
	}
	raw, err := os.ReadFile(*data)
	if err != nil || len(raw) != 8*h.Rows*h.Cols {
		fmt.Fprintln(os.Stderr, "boostbench: unreadable data", err)
		os.Exit(2)
	}
	read := func(lo, hi int) (*algorithms.Matrix, []int) {
		X := algorithms.NewMatrix(hi-lo, h.Cols-1)
		y := make([]int, hi-lo)
		for i := lo; i < hi; i++ {
			for j := 0; j < h.Cols; j++ {
				v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*(i*h.Cols+j):]))
				if j == h.Cols-1 {
					y[i-lo] = int(v)
				} else {
					X.Data[(i-lo)*X.Cols+j] = v
				}
			}
		}
		return X, y
	}
	Xtrain, ytrain := read(0, h.Train)
	Xtest, ytest := read(h.Train, h.Rows)
	var seconds, cpu []float64
	var fit *algorithms.BoostFit
	for r := 0; r < *reps; r++ {
		start, startCPU := time.Now(), cpuSeconds()
		fit, err = algorithms.FitBoostedClassifier(Xtrain, ytrain, 2, algorithms.BoostOptions{Workers: *workers})
		if err != nil {
			fmt.Fprintln(os.Stderr, "boostbench:", err)
			os.Exit(1)
		}
		seconds = append(seconds, time.Since(start).Seconds())
		cpu = append(cpu, cpuSeconds()-startCPU)
	}
	m := algorithms.ClassificationMetrics(ytest, fit.Proba(Xtest), []string{"0", "1"})
	out, _ := json.Marshal(map[string]any{"seconds": seconds, "cpu_seconds": cpu, "roc_auc": *m.ROCAUC, "log_loss": m.LogLoss, "iterations": fit.Iterations})
	fmt.Println(string(out))
}

// cpuSeconds is the process's user and system time so far: under a shared machine's load the CPU time
// compares better than the wall time.
func cpuSeconds() float64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return math.NaN()
	}
	return float64(u.Utime.Nano()+u.Stime.Nano()) / 1e9
}
