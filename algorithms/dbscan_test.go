package algorithms

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// dbscanGolden is testdata/golden/dbscan_<name>.json: scikit-learn's DBSCAN(eps, min_samples) labels.
type dbscanGolden struct {
	X          [][]float64 `json:"X"`
	Eps        float64     `json:"eps"`
	MinSamples int         `json:"min_samples"`
	Labels     []int       `json:"labels"`
}

// TestDBSCANMatchesScikitLearn requires scikit-learn's labels exactly: same clusters, same noise rows and the
// same cluster numbers, since clusters are numbered in scikit-learn's visiting order.
func TestDBSCANMatchesScikitLearn(t *testing.T) {
	for _, name := range []string{"moons", "blobs"} {
		t.Run(name, func(t *testing.T) {
			var g dbscanGolden
			readGolden(t, "dbscan_"+name, &g)
			X := matrixFromRows(g.X)
			c, err := fitDBSCAN(X, 0, ClusterSpec{Method: "dbscan",
				Params: map[string]any{"eps": g.Eps, "min_samples": g.MinSamples}})
			if err != nil {
				t.Fatal(err)
			}
			if ari := AdjustedRandIndex(c.Labels, g.Labels); ari != 1 {
				t.Errorf("ARI against scikit-learn = %v, want 1", ari)
			}
			for i := range g.Labels {
				if (g.Labels[i] == Noise) != (c.Labels[i] == Noise) {
					t.Errorf("row %d: label %d, scikit-learn %d", i, c.Labels[i], g.Labels[i])
				}
			}
			if !slices.Equal(c.Labels, g.Labels) {
				t.Errorf("labels differ from scikit-learn's numbering")
			}
		})
	}
}

// referenceDBSCAN is a literal transcription of scikit-learn 1.2's DBSCAN.fit for the Euclidean metric:
// brute-force neighbourhoods (self included, squared distance <= eps²), core flags, then dbscan_inner's
// depth-first expansion from each unlabelled core row in index order. Quadratic; for tests only.
func referenceDBSCAN(X *Matrix, eps float64, minSamples int) []int {
	n := X.Rows
	r2 := eps * eps
	neighborhoods := make([][]int, n)
	for i := 0; i < n; i++ {
		neighborhoods[i] = bruteWithin(X, X.Row(i), r2)
	}
	labels := make([]int, n)
	for i := range labels {
		labels[i] = Noise
	}
	isCore := func(i int) bool { return len(neighborhoods[i]) >= minSamples }
	label := 0
	var stack []int
	for start := 0; start < n; start++ {
		if labels[start] != Noise || !isCore(start) {
			continue
		}
		i := start
		for {
			if labels[i] == Noise {
				labels[i] = label
				if isCore(i) {
					for _, v := range neighborhoods[i] {
						if labels[v] == Noise {
							stack = append(stack, v)
						}
					}
				}
			}
			if len(stack) == 0 {
				break
			}
			i = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		}
		label++
	}
	return labels
}

// TestDBSCANMatchesReferenceOnRandomData compares the parallel, tree-based partition with the literal
// scikit-learn loop on data with duplicates and border points in reach of several clusters, in low
// dimensions (k-d tree) and high (brute force), with one and several workers.
func TestDBSCANMatchesReferenceOnRandomData(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 60; trial++ {
		dim := []int{1, 2, 3, 5, 17}[trial%5]
		n := 1 + rng.IntN(400)
		X := randomTestMatrix(rng, n, dim, trial%2 == 0)
		eps := 0.05 + rng.Float64()*0.6*float64(dim)
		minSamples := 1 + rng.IntN(12)
		want := referenceDBSCAN(X, eps, minSamples)
		for _, workers := range []int{1, 3} {
			c, err := fitDBSCAN(X, 0, ClusterSpec{Method: "dbscan", Workers: workers,
				Params: map[string]any{"eps": eps, "min_samples": minSamples}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.Labels, want) {
				t.Fatalf("n=%d dim=%d eps=%v min_samples=%d workers=%d: labels differ from the reference",
					n, dim, eps, minSamples, workers)
			}
		}
	}
}

func TestDBSCANBadInput(t *testing.T) {
	X := matrixFromRows([][]float64{{0, 0}, {0, 1}, {5, 5}})
	for _, tc := range []struct {
		name   string
		X      *Matrix
		params map[string]any
		want   string
	}{
		{"missing eps", X, nil, "eps is required"},
		{"zero eps", X, map[string]any{"eps": 0}, "eps must be > 0"},
		{"negative eps", X, map[string]any{"eps": -1.5}, "eps must be > 0"},
		{"NaN eps", X, map[string]any{"eps": math.NaN()}, "must be finite"},
		{"text eps", X, map[string]any{"eps": "0.5"}, "must be a number"},
		{"zero min_samples", X, map[string]any{"eps": 1, "min_samples": 0}, "min_samples must be >= 1"},
		{"fractional min_samples", X, map[string]any{"eps": 1, "min_samples": 2.5}, "must be an integer"},
		{"typo", X, map[string]any{"eps": 1, "minsamples": 3}, `did you mean "min_samples"`},
		{"empty", NewMatrix(0, 2), map[string]any{"eps": 1}, ErrEmptyInput.Error()},
		{"nil", nil, map[string]any{"eps": 1}, ErrEmptyInput.Error()},
		{"NaN value", matrixFromRows([][]float64{{0, math.NaN()}}), map[string]any{"eps": 1}, "row 0, column 1 is NaN"},
		{"Inf value", matrixFromRows([][]float64{{0, 1}, {math.Inf(-1), 0}}), map[string]any{"eps": 1}, "row 1, column 0 is -Inf"},
		{"huge values", matrixFromRows([][]float64{{1e200}, {-1e200}}), map[string]any{"eps": 1}, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fitDBSCAN(tc.X, 3, ClusterSpec{Method: "dbscan", Params: tc.params})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Integral floats are fine for min_samples, as YAML and JSON may deliver them.
	if _, err := fitDBSCAN(X, 0, ClusterSpec{Params: map[string]any{"eps": 1, "min_samples": 2.0}}); err != nil {
		t.Errorf("min_samples 2.0 rejected: %v", err)
	}
}

func TestDBSCANDegenerateInputs(t *testing.T) {
	one := matrixFromRows([][]float64{{1, 2}})
	c, err := fitDBSCAN(one, 0, ClusterSpec{Params: map[string]any{"eps": 0.5, "min_samples": 1}})
	if err != nil || c.K != 1 || c.Labels[0] != 0 {
		t.Errorf("one row, min_samples 1: %+v, %v", c, err)
	}

	// All noise is a result, not an error: labels all Noise, no centroids, a note saying what to change.
	c, err = fitDBSCAN(one, 0, ClusterSpec{Params: map[string]any{"eps": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if c.K != 0 || c.Labels[0] != Noise || c.Centroids.Rows != 0 || c.Centroids.Cols != 2 {
		t.Errorf("all noise: K=%d labels=%v centroids %dx%d", c.K, c.Labels, c.Centroids.Rows, c.Centroids.Cols)
	}
	if len(c.Report.Notes) == 0 || !strings.Contains(c.Report.Notes[0], "every row is noise") {
		t.Errorf("all noise: notes %q", c.Report.Notes)
	}
	if got := c.Model.DBSCAN.Predict(one); got[0] != Noise {
		t.Errorf("all-noise model predicted %v", got)
	}

	same := NewMatrix(50, 3)
	for i := range same.Data {
		same.Data[i] = 7
	}
	c, err = fitDBSCAN(same, 0, ClusterSpec{Params: map[string]any{"eps": 1e-9, "min_samples": 50}})
	if err != nil || c.K != 1 {
		t.Fatalf("identical rows: %+v, %v", c, err)
	}
	for _, l := range c.Labels {
		if l != 0 {
			t.Fatalf("identical rows split: %v", c.Labels)
		}
	}
}

func TestDBSCANModelPredict(t *testing.T) {
	var g dbscanGolden
	readGolden(t, "dbscan_moons", &g)
	X := matrixFromRows(g.X)
	c, err := fitDBSCAN(X, 0, ClusterSpec{Params: map[string]any{"eps": g.Eps, "min_samples": g.MinSamples}})
	if err != nil {
		t.Fatal(err)
	}
	// The model survives a JSON round trip, as it is stored with each version.
	data, err := json.Marshal(c.Model)
	if err != nil {
		t.Fatal(err)
	}
	var model Model
	if err := json.Unmarshal(data, &model); err != nil {
		t.Fatal(err)
	}
	predicted, prob, err := model.Predict(X)
	if err != nil || prob != nil {
		t.Fatalf("Predict: %v, prob %v", err, prob)
	}
	core := 0
	for i := range predicted {
		// A core point is within eps of itself and of no other cluster's core point, so it keeps its
		// label; a noise row has no core point within eps, so it stays noise.
		if isCoreRow(X, i, g.Eps, g.MinSamples) {
			core++
			if predicted[i] != c.Labels[i] {
				t.Errorf("core row %d predicted %d, fitted %d", i, predicted[i], c.Labels[i])
			}
		}
		if c.Labels[i] == Noise && predicted[i] != Noise {
			t.Errorf("noise row %d predicted %d", i, predicted[i])
		}
	}
	if core != model.DBSCAN.TotalCorePoints || core != model.DBSCAN.CorePoints.Rows {
		t.Errorf("model holds %d of %d core points, counted %d", model.DBSCAN.CorePoints.Rows,
			model.DBSCAN.TotalCorePoints, core)
	}
	far := matrixFromRows([][]float64{{100, 100}})
	if got := model.DBSCAN.Predict(far); got[0] != Noise {
		t.Errorf("far row predicted %d", got[0])
	}
	if got := model.DBSCAN.Predict(NewMatrix(1, 3)); got[0] != Noise {
		t.Errorf("row of the wrong width predicted %d", got[0])
	}
	if got := model.DBSCAN.Predict(nil); got != nil {
		t.Errorf("nil X predicted %v", got)
	}
}

func isCoreRow(X *Matrix, i int, eps float64, minSamples int) bool {
	return len(bruteWithin(X, X.Row(i), eps*eps)) >= minSamples
}

func TestKeepCorePointsCoversEveryCluster(t *testing.T) {
	// 1000 core rows: cluster 0 has 995, cluster 1 five. A sample of 10 will usually miss cluster 1.
	labels := make([]int, 1000)
	coreRows := make([]int, 1000)
	for i := range labels {
		coreRows[i] = i
		if i >= 995 {
			labels[i] = 1
		}
	}
	for seed := uint64(0); seed < 20; seed++ {
		kept := keepCorePoints(coreRows, labels, 2, 10, seed)
		covered := map[int]bool{}
		for _, r := range kept {
			covered[labels[r]] = true
		}
		if !covered[0] || !covered[1] || len(kept) > 11 || !slices.IsSorted(kept) {
			t.Fatalf("seed %d kept %v", seed, kept)
		}
		if again := keepCorePoints(coreRows, labels, 2, 10, seed); !slices.Equal(again, kept) {
			t.Fatalf("seed %d not reproducible", seed)
		}
	}
}

// FuzzDBSCAN feeds small random matrices and parameters: the fit must never panic, labels must be Noise or
// 0..K-1, and they must equal the literal scikit-learn loop's. Run with
// go test -run=^$ -fuzz=FuzzDBSCAN -fuzztime=10s ./algorithms/
func FuzzDBSCAN(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 2, 9, 9}, uint8(2), 1.5, uint8(2))
	f.Add([]byte{5, 5, 5, 5, 5, 5}, uint8(1), 0.1, uint8(3))
	f.Add([]byte{}, uint8(2), 1.0, uint8(5))
	f.Add([]byte{1, 200, 3, 4, 250, 6, 7, 8, 9}, uint8(3), 40.0, uint8(1))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, uint8(18), 3.0, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, dim uint8, eps float64, minSamples uint8) {
		if len(data) > 1024 {
			data = data[:1024] // keep the quadratic reference quick
		}
		d := int(dim%20) + 1
		n := len(data) / d
		X := NewMatrix(n, d)
		for i := range X.Data {
			X.Data[i] = float64(data[i]) / 16
		}
		c, err := fitDBSCAN(X, 0, ClusterSpec{Params: map[string]any{"eps": eps, "min_samples": int(minSamples)}})
		if err != nil {
			if n > 0 && eps > 0 && !math.IsInf(eps, 0) && minSamples > 0 {
				t.Fatalf("valid input rejected: %v", err)
			}
			return
		}
		if len(c.Labels) != n || c.Centroids.Rows != c.K {
			t.Fatalf("%d labels for %d rows, %d centroids for K=%d", len(c.Labels), n, c.Centroids.Rows, c.K)
		}
		for _, l := range c.Labels {
			if l < Noise || l >= c.K {
				t.Fatalf("label %d outside Noise..%d", l, c.K-1)
			}
		}
		if want := referenceDBSCAN(X, eps, int(minSamples)); !slices.Equal(c.Labels, want) {
			t.Fatalf("labels %v, reference %v", c.Labels, want)
		}
		c.Model.DBSCAN.Predict(X)
	})
}

// TestDBSCANTiesMatchScikitLearn: on grids, many points lie exactly eps apart, and border points are in reach
// of several clusters; both must resolve as in scikit-learn.
func TestDBSCANTiesMatchScikitLearn(t *testing.T) {
	var g tiesGolden
	readGolden(t, "ties_density", &g)
	for i, c := range g.Cases {
		X := matrixFromRows(c.X)
		got, err := fitDBSCAN(X, 0, ClusterSpec{Params: map[string]any{"eps": c.Eps, "min_samples": c.MinSamples}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Labels, c.DBSCAN) {
			t.Errorf("case %d: labels %v, scikit-learn %v", i, got.Labels, c.DBSCAN)
		}
		if ref := referenceDBSCAN(X, c.Eps, c.MinSamples); !slices.Equal(ref, c.DBSCAN) {
			t.Errorf("case %d: the test's reference transcription disagrees with scikit-learn", i)
		}
	}
}
