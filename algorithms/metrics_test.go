package algorithms

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// metricsTolerance is how close silhouette, Davies-Bouldin and Calinski-Harabasz must be to scikit-learn's
// (relative). The computations are the same up to floating-point rounding: scikit-learn gets distances from
// |x|² - 2x·y + |y|² (errors near 1e-16·|x|²/|x-y| per distance) and sums with numpy's pairwise summation,
// so agreement is expected around 1e-13; 1e-9 leaves room without hiding a real difference.
const metricsTolerance = 1e-9

// closeRel reports whether got is within tol of want, relative to |want| (absolute near zero).
func closeRel(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

type goldenMetrics struct {
	Silhouette        float64   `json:"silhouette"`
	SilhouetteSamples []float64 `json:"silhouette_samples"`
	DaviesBouldin     float64   `json:"davies_bouldin"`
	CalinskiHarabasz  float64   `json:"calinski_harabasz"`
}

func TestMetricsMatchScikitLearn(t *testing.T) {
	for _, name := range []string{"blobs", "aniso", "uneven", "iris", "wine"} {
		var g struct {
			X             [][]float64   `json:"X"`
			Labels        []int         `json:"labels"`
			MetricsTrue   goldenMetrics `json:"metrics_true"`
			MetricsKMeans goldenMetrics `json:"metrics_kmeans"`
		}
		readGolden(t, "kmeans_"+name, &g)
		var ds struct {
			Y []int `json:"y"`
		}
		readGolden(t, "dataset_"+name, &ds)
		X := matrixFromRows(g.X) // wine's is standard-scaled, as the metrics were computed on it
		for _, tc := range []struct {
			which  string
			labels []int
			want   goldenMetrics
		}{{"true", ds.Y, g.MetricsTrue}, {"kmeans", g.Labels, g.MetricsKMeans}} {
			t.Run(name+"/"+tc.which, func(t *testing.T) {
				check := func(what string, got, want float64) {
					t.Helper()
					if !closeRel(got, want, metricsTolerance) {
						t.Errorf("%s = %.17g, scikit-learn %.17g (diff %.3g)", what, got, want, got-want)
					}
				}
				check("silhouette", Silhouette(X, tc.labels), tc.want.Silhouette)
				check("davies_bouldin", DaviesBouldin(X, tc.labels), tc.want.DaviesBouldin)
				check("calinski_harabasz", CalinskiHarabasz(X, tc.labels), tc.want.CalinskiHarabasz)
				samples := SilhouetteSamples(X, tc.labels)
				for i, want := range tc.want.SilhouetteSamples {
					if !closeRel(samples[i], want, metricsTolerance) {
						t.Fatalf("silhouette sample %d = %.17g, scikit-learn %.17g", i, samples[i], want)
					}
				}
				v := Evaluate(X, tc.labels, EvalOptions{})
				check("Evaluate silhouette", v.Silhouette, tc.want.Silhouette)
				check("Evaluate davies_bouldin", v.DaviesBouldin, tc.want.DaviesBouldin)
				check("Evaluate calinski_harabasz", v.CalinskiHarabasz, tc.want.CalinskiHarabasz)
				if v.SilhouetteSample != 0 || v.Reason != "" {
					t.Errorf("Evaluate on %d rows: sample %d, reason %q; want exact", X.Rows, v.SilhouetteSample, v.Reason)
				}
			})
		}
	}
}

func TestAdjustedRandIndexMatchesScikitLearnExactly(t *testing.T) {
	var g struct {
		Pairs []struct {
			A   []int   `json:"a"`
			B   []int   `json:"b"`
			ARI float64 `json:"ari"`
		} `json:"pairs"`
	}
	readGolden(t, "ari", &g)
	for i, p := range g.Pairs {
		if got := AdjustedRandIndex(p.A, p.B); got != p.ARI {
			t.Errorf("pair %d: ARI = %.17g, scikit-learn %.17g", i, got, p.ARI)
		}
		if got := AdjustedRandIndex(p.B, p.A); got != p.ARI {
			t.Errorf("pair %d swapped: ARI = %.17g, scikit-learn %.17g", i, got, p.ARI)
		}
	}
	// Labels numbered by a table when small and a map otherwise: renaming clusters changes nothing.
	for i, p := range g.Pairs {
		renamed := make([]int, len(p.A))
		for j, l := range p.A {
			renamed[j] = []int{l, -7 - l, 1000 + l}[(l%3+3)%3]
		}
		if got := AdjustedRandIndex(renamed, p.B); got != p.ARI {
			t.Errorf("pair %d with renamed clusters: ARI = %.17g, scikit-learn %.17g", i, got, p.ARI)
		}
	}
	if got := AdjustedRandIndex(nil, nil); got != 1 {
		t.Errorf("ARI of empty labellings = %v, want 1 (scikit-learn)", got)
	}
	if got := AdjustedRandIndex([]int{0}, []int{0, 1}); !math.IsNaN(got) {
		t.Errorf("ARI of different lengths = %v, want NaN", got)
	}
	// Large inputs: the pair counts overflow int64 products, which must not change the result.
	rng := rand.New(rand.NewPCG(7, 7))
	a := make([]int, 3_000_000)
	b := make([]int, len(a))
	for i := range a {
		a[i] = rng.IntN(3)
		b[i] = a[i]
		if rng.IntN(10) == 0 {
			b[i] = rng.IntN(3)
		}
	}
	if got := AdjustedRandIndex(a, b); !(got > 0.7 && got < 0.9) {
		t.Errorf("ARI of 90%%-agreeing labellings of 3M rows = %v", got)
	}
}

// The contingency-table form the segmentation audits use gives scikit-learn's result to the bit too.
func TestAdjustedRandIndexOfTableMatchesScikitLearnExactly(t *testing.T) {
	var g struct {
		Pairs []struct {
			A   []int   `json:"a"`
			B   []int   `json:"b"`
			ARI float64 `json:"ari"`
		} `json:"pairs"`
	}
	readGolden(t, "ari", &g)
	for i, p := range g.Pairs {
		counts := map[[2]int]int64{}
		for j := range p.A {
			counts[[2]int{p.A[j], p.B[j]}]++
		}
		var cells []ContingencyCell
		for k, n := range counts {
			cells = append(cells, ContingencyCell{A: fmt.Sprint(k[0]), B: fmt.Sprint(k[1]), Count: n})
		}
		if got := AdjustedRandIndexOfTable(cells); got != p.ARI {
			t.Errorf("pair %d: ARI of the table = %.17g, scikit-learn %.17g", i, got, p.ARI)
		}
	}
	if got := AdjustedRandIndexOfTable(nil); got != 1 {
		t.Errorf("ARI of an empty table = %v, want 1 (scikit-learn)", got)
	}
}

func TestMetricsDegenerateInputsNeverNaN(t *testing.T) {
	row := func(vals ...float64) []float64 { return vals }
	identical := matrixFromRows([][]float64{row(1, 1), row(1, 1), row(1, 1), row(1, 1)})
	spread := matrixFromRows([][]float64{row(0, 0), row(1, 0), row(5, 5), row(6, 5)})
	for _, tc := range []struct {
		name       string
		X          *Matrix
		labels     []int
		wantReason string
		wantCH     float64
	}{
		{"no rows", NewMatrix(0, 2), nil, "no rows", 0},
		{"nil matrix", nil, nil, "no rows", 0},
		{"length mismatch", spread, []int{0, 1}, "labels has 2 entries for 4 rows", 0},
		{"one cluster", spread, []int{3, 3, 3, 3}, "fewer than two clusters", 0},
		{"all noise", spread, []int{-1, -1, -1, -1}, "every row is noise", 0},
		{"own clusters", spread, []int{0, 1, 2, 3}, "every row is its own cluster", 0},
		{"one cluster and noise", spread, []int{0, 0, -1, -1}, "fewer than two clusters", 0},
		// Identical rows in two clusters: scikit-learn's conventions give silhouette 0, DB 0, CH 1.
		{"identical rows", identical, []int{0, 0, 1, 1}, "", 1},
		{"non-finite", matrixFromRows([][]float64{row(0, 0), row(math.NaN(), 0)}), []int{0, 1}, "X holds NaN or infinite values", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate(tc.X, tc.labels, EvalOptions{})
			if v.Reason != tc.wantReason {
				t.Errorf("reason %q, want %q", v.Reason, tc.wantReason)
			}
			data, err := json.Marshal(v) // fails on NaN or Inf
			if err != nil {
				t.Fatalf("Validity does not marshal: %v", err)
			}
			if v.Silhouette != 0 || v.DaviesBouldin != 0 || v.CalinskiHarabasz != tc.wantCH {
				t.Errorf("scores %s, want silhouette 0, davies_bouldin 0, calinski_harabasz %v", data, tc.wantCH)
			}
			if tc.X != nil && len(tc.labels) == tc.X.Rows && tc.X.Rows > 0 && tc.wantReason != "X holds NaN or infinite values" {
				for _, f := range []float64{Silhouette(tc.X, tc.labels), DaviesBouldin(tc.X, tc.labels),
					CalinskiHarabasz(tc.X, tc.labels)} {
					if math.IsNaN(f) || math.IsInf(f, 0) {
						t.Errorf("a score is %v", f)
					}
				}
				for _, s := range SilhouetteSamples(tc.X, tc.labels) {
					if s != 0 {
						t.Errorf("silhouette sample %v, want 0", s)
					}
				}
			}
		})
	}
}

func TestSilhouetteExcludesNoise(t *testing.T) {
	var g struct {
		X [][]float64 `json:"X"`
		Y []int       `json:"y"`
	}
	readGolden(t, "dataset_moons", &g)
	X := matrixFromRows(g.X)
	// The 25 outliers carry label -1: the scores must equal those of the other 500 rows alone.
	var kept []int
	var keptLabels []int
	for i, y := range g.Y {
		if y != Noise {
			kept = append(kept, i)
			keptLabels = append(keptLabels, y)
		}
	}
	Xk := gatherRows(X, kept)
	if a, b := Silhouette(X, g.Y), Silhouette(Xk, keptLabels); a != b {
		t.Errorf("silhouette with noise %v, without noise rows %v", a, b)
	}
	if a, b := DaviesBouldin(X, g.Y), DaviesBouldin(Xk, keptLabels); a != b {
		t.Errorf("davies_bouldin with noise %v, without noise rows %v", a, b)
	}
	if a, b := CalinskiHarabasz(X, g.Y), CalinskiHarabasz(Xk, keptLabels); a != b {
		t.Errorf("calinski_harabasz with noise %v, without noise rows %v", a, b)
	}
	v := Evaluate(X, g.Y, EvalOptions{})
	if v.Noise != 25 || v.Clusters != 2 || v.Sizes[0] != (ClusterSize{0, 250}) || v.Sizes[1] != (ClusterSize{1, 250}) {
		t.Errorf("Evaluate counts: noise %d, clusters %d, sizes %v", v.Noise, v.Clusters, v.Sizes)
	}
}

func TestEvaluateSamplesSilhouetteAboveLimit(t *testing.T) {
	var g struct {
		X             [][]float64   `json:"X"`
		Labels        []int         `json:"labels"`
		MetricsKMeans goldenMetrics `json:"metrics_kmeans"`
	}
	readGolden(t, "kmeans_blobs", &g)
	X := matrixFromRows(g.X)
	opt := EvalOptions{SampleLimit: 200, Seed: 42, Workers: 3}
	v := Evaluate(X, g.Labels, opt)
	if v.SilhouetteSample != 200 {
		t.Fatalf("silhouette sample %d, want 200", v.SilhouetteSample)
	}
	// A 200-row sample of well-separated blobs estimates the silhouette closely; DB and CH stay exact.
	if math.Abs(v.Silhouette-g.MetricsKMeans.Silhouette) > 0.03 {
		t.Errorf("sampled silhouette %v, exact %v", v.Silhouette, g.MetricsKMeans.Silhouette)
	}
	if !closeRel(v.DaviesBouldin, g.MetricsKMeans.DaviesBouldin, metricsTolerance) ||
		!closeRel(v.CalinskiHarabasz, g.MetricsKMeans.CalinskiHarabasz, metricsTolerance) {
		t.Errorf("sampling changed the exact scores: %+v", v)
	}
	if again := Evaluate(X, g.Labels, opt); again.Silhouette != v.Silhouette {
		t.Errorf("same seed gave %v then %v", v.Silhouette, again.Silhouette)
	}
	if exact := Evaluate(X, g.Labels, EvalOptions{SampleLimit: -1}); exact.SilhouetteSample != 0 {
		t.Errorf("negative SampleLimit sampled %d rows", exact.SilhouetteSample)
	}
}

func TestInertia(t *testing.T) {
	X := matrixFromRows([][]float64{{0, 0}, {2, 0}, {10, 10}, {7, 7}})
	centroids := matrixFromRows([][]float64{{1, 0}, {10, 10}})
	if got := Inertia(X, []int{0, 0, 1, Noise}, centroids); got != 2 {
		t.Errorf("inertia %v, want 2 (noise row left out)", got)
	}
	if got := Inertia(X, []int{0, 0, 1, 1}, NewMatrix(2, 3)); !math.IsNaN(got) {
		t.Errorf("inertia with mismatched centroid width %v, want NaN", got)
	}
	v := Evaluate(X, []int{0, 0, 1, 1}, EvalOptions{})
	if v.Inertia != 2+9 { // means (1,0) and (8.5,8.5): 1+1 + 2.25*2*2
		t.Errorf("Evaluate inertia %v, want 11", v.Inertia)
	}
}
