package algorithms

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// hierarchicalGolden is testdata/golden/hierarchical_<name>.json: scikit-learn's
// AgglomerativeClustering(n_clusters=k, linkage=...) labels for each linkage.
type hierarchicalGolden struct {
	X        [][]float64 `json:"X"`
	K        int         `json:"k"`
	Ward     []int       `json:"ward"`
	Average  []int       `json:"average"`
	Complete []int       `json:"complete"`
	Single   []int       `json:"single"`
}

// TestHierarchicalMatchesScikitLearn requires the same partition as scikit-learn for every data set and
// linkage, and in fact the same label numbers: the merge order, tie-breaking and tree cut are all
// reproduced (see chainLinkageTree, singleLinkageTree, cutTree), so ties between equal distances (iris has
// duplicate rows) resolve as in SciPy and scikit-learn rather than being an excuse for a mismatch.
func TestHierarchicalMatchesScikitLearn(t *testing.T) {
	for _, name := range []string{"blobs", "aniso", "uneven", "iris"} {
		var g hierarchicalGolden
		readGolden(t, "hierarchical_"+name, &g)
		X := matrixFromRows(g.X)
		for linkage, want := range map[string][]int{
			"ward": g.Ward, "average": g.Average, "complete": g.Complete, "single": g.Single,
		} {
			t.Run(name+"/"+linkage, func(t *testing.T) {
				c, err := fitHierarchical(X, g.K, ClusterSpec{Method: "hierarchical", K: g.K,
					Params: map[string]any{"linkage": linkage}})
				if err != nil {
					t.Fatal(err)
				}
				if ari := AdjustedRandIndex(c.Labels, want); ari != 1 {
					t.Errorf("ARI against scikit-learn = %v, want 1", ari)
				}
				if !slices.Equal(c.Labels, want) {
					t.Errorf("same partition but different label numbers than scikit-learn")
				}
			})
		}
	}
}

func TestHierarchicalBadInput(t *testing.T) {
	X := matrixFromRows([][]float64{{0, 0}, {0, 1}, {5, 5}})
	for _, tc := range []struct {
		name   string
		X      *Matrix
		k      int
		params map[string]any
		want   string
	}{
		{"k zero", X, 0, nil, "k must be >= 1"},
		{"k above rows", X, 4, nil, "k=4 exceeds the 3 rows"},
		{"k above sample limit", X, 3, map[string]any{"sample_limit": 2}, "k=3 exceeds sample_limit=2"},
		{"unknown linkage", X, 2, map[string]any{"linkage": "wards"}, `did you mean "ward"`},
		{"linkage not text", X, 2, map[string]any{"linkage": 3}, "must be one of ward, average, complete, single"},
		{"typo", X, 2, map[string]any{"linkag": "single"}, `did you mean "linkage"`},
		{"sample limit too large", X, 2, map[string]any{"sample_limit": 20000}, "sample_limit must be in 1..15000"},
		{"sample limit fractional", X, 2, map[string]any{"sample_limit": 100.5}, "must be an integer"},
		{"empty", NewMatrix(0, 2), 1, nil, ErrEmptyInput.Error()},
		{"nil", nil, 1, nil, ErrEmptyInput.Error()},
		{"NaN", matrixFromRows([][]float64{{0, 1}, {math.NaN(), 1}}), 1, nil, "row 1, column 0 is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fitHierarchical(tc.X, tc.k, ClusterSpec{Method: "hierarchical", K: tc.k, Params: tc.params})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// An integral float sample_limit, as YAML may deliver it, is fine.
	if _, err := fitHierarchical(X, 2, ClusterSpec{Params: map[string]any{"sample_limit": 3.0}}); err != nil {
		t.Errorf("sample_limit 3.0 rejected: %v", err)
	}
}

func TestHierarchicalDegenerateInputs(t *testing.T) {
	same := NewMatrix(30, 2)
	for i := range same.Data {
		same.Data[i] = 4
	}
	one := matrixFromRows([][]float64{{1, 2}})
	spread := matrixFromRows([][]float64{{0}, {1}, {3}, {7}, {15}})
	for _, linkage := range hierarchicalLinkages {
		params := map[string]any{"linkage": linkage}
		c, err := fitHierarchical(one, 1, ClusterSpec{Params: params})
		if err != nil || !slices.Equal(c.Labels, []int{0}) || c.Centroids.Rows != 1 {
			t.Errorf("%s, one row: %+v, %v", linkage, c, err)
		}
		// Identical rows: every distance ties at 0; the fit must still give k non-empty clusters.
		c, err = fitHierarchical(same, 3, ClusterSpec{Params: params})
		if err != nil {
			t.Fatalf("%s, identical rows: %v", linkage, err)
		}
		sizes := map[int]int{}
		for _, l := range c.Labels {
			sizes[l]++
		}
		if len(sizes) != 3 || c.Report.Inertia != 0 {
			t.Errorf("%s, identical rows: sizes %v, inertia %v", linkage, sizes, c.Report.Inertia)
		}
		// k equal to the rows: every row its own cluster.
		c, err = fitHierarchical(spread, 5, ClusterSpec{Params: params})
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Clone(c.Labels); len(got) != 5 {
			t.Errorf("%s, k=rows: %v", linkage, got)
		} else if slices.Sort(got); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Errorf("%s, k=rows: labels %v", linkage, c.Labels)
		}
		// k=1: one cluster whose centroid is the mean.
		c, err = fitHierarchical(spread, 1, ClusterSpec{Params: params})
		if err != nil || c.Centroids.At(0, 0) != 26.0/5 {
			t.Errorf("%s, k=1: %+v, %v", linkage, c, err)
		}
	}
}

// TestHierarchicalSamplesAboveLimit checks the large-input path on the blobs: a seeded sample is fitted and
// the other rows join the nearest cluster mean. The blobs are well separated, so the partition should still
// agree almost completely with the full fit.
func TestHierarchicalSamplesAboveLimit(t *testing.T) {
	var g hierarchicalGolden
	readGolden(t, "hierarchical_blobs", &g)
	X := matrixFromRows(g.X)
	for _, linkage := range hierarchicalLinkages {
		spec := ClusterSpec{Seed: 9, Params: map[string]any{"linkage": linkage, "sample_limit": 150}}
		c, err := fitHierarchical(X, g.K, spec)
		if err != nil {
			t.Fatal(err)
		}
		want := "fitted on a seeded sample of 150 of 600 rows; other rows assigned to the nearest centroid"
		if !slices.Contains(c.Report.Notes, want) {
			t.Errorf("%s: notes %q", linkage, c.Report.Notes)
		}
		if ari := AdjustedRandIndex(c.Labels, g.Ward); ari < 0.95 {
			t.Errorf("%s: sampled fit agrees with the full Ward fit at ARI %v", linkage, ari)
		}
		again, _ := fitHierarchical(X, g.K, spec)
		if !slices.Equal(again.Labels, c.Labels) {
			t.Errorf("%s: same seed, different labels", linkage)
		}
		means := clusterMeans(X, c.Labels, g.K)
		if !slices.Equal(means.Data, c.Centroids.Data) || c.Model.Centroids != c.Centroids {
			t.Errorf("%s: centroids are not the cluster means of all rows", linkage)
		}
		if math.Abs(c.Report.Inertia-Inertia(X, c.Labels, c.Centroids)) != 0 {
			t.Errorf("%s: report inertia %v", linkage, c.Report.Inertia)
		}
	}
}

// FuzzHierarchical feeds small random matrices to every linkage: no panic, k clusters, labels in 0..k-1.
// Run with go test -run=^$ -fuzz=FuzzHierarchical -fuzztime=10s ./algorithms/
func FuzzHierarchical(f *testing.F) {
	f.Add([]byte{0, 0, 1, 1, 2, 2, 9, 9}, uint8(2), uint8(2), uint8(0))
	f.Add([]byte{5, 5, 5, 5, 5, 5}, uint8(1), uint8(3), uint8(3))
	f.Add([]byte{1, 200, 3, 4, 250, 6, 7, 8, 9}, uint8(3), uint8(1), uint8(1))
	f.Add([]byte{7}, uint8(1), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, dim, k, linkage uint8) {
		if len(data) > 2048 {
			data = data[:2048]
		}
		d := int(dim%8) + 1
		n := len(data) / d
		X := NewMatrix(n, d)
		for i := range X.Data {
			X.Data[i] = float64(data[i]) / 8
		}
		spec := ClusterSpec{Params: map[string]any{"linkage": hierarchicalLinkages[int(linkage)%4]}}
		c, err := fitHierarchical(X, int(k), spec)
		if err != nil {
			if n > 0 && k >= 1 && int(k) <= n {
				t.Fatalf("valid input rejected: %v", err)
			}
			return
		}
		seen := make([]bool, k)
		for _, l := range c.Labels {
			if l < 0 || l >= int(k) {
				t.Fatalf("label %d outside 0..%d", l, k-1)
			}
			seen[l] = true
		}
		if !slices.Equal(seen, slices.Repeat([]bool{true}, int(k))) {
			t.Fatalf("not every one of %d clusters has rows: %v", k, c.Labels)
		}
	})
}

// tiesGolden is testdata/golden/ties_density.json (scripts/sklearn_ties_golden.py): small random data sets
// on coarse grids and rounded values, full of exact distance ties and duplicate rows, with scikit-learn's
// labels for every linkage and for DBSCAN.
type tiesGolden struct {
	Cases []struct {
		X          [][]float64 `json:"X"`
		K          int         `json:"k"`
		Eps        float64     `json:"eps"`
		MinSamples int         `json:"min_samples"`
		Ward       []int       `json:"ward"`
		Average    []int       `json:"average"`
		Complete   []int       `json:"complete"`
		Single     []int       `json:"single"`
		DBSCAN     []int       `json:"dbscan"`
	} `json:"cases"`
}

// TestHierarchicalTiesMatchScikitLearn: with ties, a different but equally valid merge order would give a
// different partition; reproducing SciPy's and scikit-learn's scan order and sorts gives the same labels.
func TestHierarchicalTiesMatchScikitLearn(t *testing.T) {
	var g tiesGolden
	readGolden(t, "ties_density", &g)
	for i, c := range g.Cases {
		X := matrixFromRows(c.X)
		for linkage, want := range map[string][]int{
			"ward": c.Ward, "average": c.Average, "complete": c.Complete, "single": c.Single,
		} {
			got, err := fitHierarchical(X, c.K, ClusterSpec{Params: map[string]any{"linkage": linkage}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Labels, want) {
				t.Errorf("case %d (%d rows, k=%d) %s: labels differ from scikit-learn's (ARI %v)", i, X.Rows, c.K,
					linkage, AdjustedRandIndex(got.Labels, want))
			}
		}
	}
}
