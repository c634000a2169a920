package algorithms

import (
	"math"
	"strings"
	"testing"
)

// kselectGolden is testdata/golden/kselect_blobs.json: for k = 2..7, scikit-learn's silhouette,
// Calinski-Harabasz and Davies-Bouldin of KMeans(n_clusters=k, n_init=10, random_state=0) on the blobs.
type kselectGolden struct {
	X     [][]float64 `json:"X"`
	Table []struct {
		K                int     `json:"k"`
		Silhouette       float64 `json:"silhouette"`
		CalinskiHarabasz float64 `json:"calinski_harabasz"`
		DaviesBouldin    float64 `json:"davies_bouldin"`
	} `json:"table"`
}

// TestChooseKMatchesScikitLearnWithKMeans needs the k-means implementation, developed separately; until it
// lands, Cluster returns the stub's "not implemented" error and the test skips.
//
// Tolerances: up to k=4 (the true number of blobs) the blobs are far apart and every k-means run with 10
// initialisations finds the same, globally optimal partition (scikit-learn gives bit-identical scores for
// all 40 random_state values tried), so the scores must agree to metricsTolerance. Above 4, k-means must
// split a blob, and where it splits depends on the initialisation: across random_state 0..39 scikit-learn's
// own scores deviate from the golden ones by up to 5.3% (silhouette, k=7), 1.4% (Calinski-Harabasz) and
// 2.3% (Davies-Bouldin). A different random generator is a different seed, so those k get 10%, about twice
// scikit-learn's own spread. Whatever the split, k=4 must win by every criterion.
func TestChooseKMatchesScikitLearnWithKMeans(t *testing.T) {
	var g kselectGolden
	readGolden(t, "kselect_blobs", &g)
	X := matrixFromRows(g.X)
	spec := ClusterSpec{Method: "kmeans", Seed: 0, Params: map[string]any{"n_init": 10}}
	for _, by := range []string{"silhouette", "calinski_harabasz", "davies_bouldin"} {
		t.Run(by, func(t *testing.T) {
			best, scores, err := ChooseK(X, KRange{Min: 2, Max: 7, By: by}, spec, EvalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if best.K != 4 {
				t.Errorf("chose k=%d, want 4 (scores %v)", best.K, scores)
			}
			if len(scores) != len(g.Table) {
				t.Fatalf("%d scores for %d k", len(scores), len(g.Table))
			}
			for i, row := range g.Table {
				want := map[string]float64{"silhouette": row.Silhouette, "calinski_harabasz": row.CalinskiHarabasz,
					"davies_bouldin": row.DaviesBouldin}[by]
				tol := metricsTolerance
				if row.K > 4 {
					tol = 0.10
				}
				if scores[i].K != row.K || !closeRel(scores[i].Score, want, tol) {
					t.Errorf("k=%d: %s %v, scikit-learn %v (tolerance %g)", scores[i].K, by, scores[i].Score, want, tol)
				}
			}
		})
	}
}

// TestChooseKWithWard runs the selection end to end with a method available on this branch: Ward linkage
// on the blobs, whose k=4 partition equals scikit-learn's, must be chosen by every criterion, and each
// score must be the measure of that k's labels.
func TestChooseKWithWard(t *testing.T) {
	var g kselectGolden
	readGolden(t, "kselect_blobs", &g)
	X := matrixFromRows(g.X)
	var ward hierarchicalGolden
	readGolden(t, "hierarchical_blobs", &ward)
	spec := ClusterSpec{Method: "hierarchical", Params: map[string]any{"linkage": "ward"}}
	measures := map[string]func(*Matrix, []int) float64{
		"silhouette": Silhouette, "calinski_harabasz": CalinskiHarabasz, "davies_bouldin": DaviesBouldin,
	}
	for by, measure := range measures {
		best, scores, err := ChooseK(X, KRange{Min: 2, Max: 7, By: by}, spec, EvalOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		if best.K != 4 || AdjustedRandIndex(best.Labels, ward.Ward) != 1 {
			t.Errorf("%s chose k=%d", by, best.K)
		}
		if len(scores) != 6 || scores[0].K != 2 || scores[5].K != 7 {
			t.Fatalf("%s scores %v", by, scores)
		}
		for _, sc := range scores {
			fit, err := fitHierarchical(X, sc.K, spec)
			if err != nil {
				t.Fatal(err)
			}
			if want := measure(X, fit.Labels); !closeRel(sc.Score, want, 1e-12) {
				t.Errorf("%s k=%d: score %v, measure %v", by, sc.K, sc.Score, want)
			}
		}
	}
	if _, scores, err := ChooseK(X, KRange{Min: 2, Max: 7}, spec, EvalOptions{}); err != nil || scores[2].K != 4 {
		t.Errorf("default criterion: %v, %v", scores, err)
	}

	// Above the sample limit silhouette uses one seeded sample for every k; well-separated blobs still
	// choose 4, and the same seed gives the same scores.
	opt := EvalOptions{SampleLimit: 150, Seed: 5}
	best, scores, err := ChooseK(X, KRange{Min: 2, Max: 7}, spec, opt)
	if err != nil || best.K != 4 {
		t.Fatalf("sampled silhouette chose %v (%v)", scores, err)
	}
	_, again, _ := ChooseK(X, KRange{Min: 2, Max: 7}, spec, opt)
	for i := range scores {
		if scores[i] != again[i] {
			t.Errorf("sampled scores not reproducible: %v then %v", scores, again)
		}
	}
}

func TestChooseKErrors(t *testing.T) {
	X := matrixFromRows([][]float64{{0}, {1}, {2}, {10}, {11}})
	ward := ClusterSpec{Method: "hierarchical"}
	for _, tc := range []struct {
		name string
		X    *Matrix
		r    KRange
		s    ClusterSpec
		want string
	}{
		{"empty", NewMatrix(0, 1), KRange{Min: 2, Max: 3}, ward, ErrEmptyInput.Error()},
		{"dbscan", X, KRange{Min: 2, Max: 3}, ClusterSpec{Method: "dbscan"}, "dbscan finds its own number"},
		{"unknown method", X, KRange{Min: 2, Max: 3}, ClusterSpec{Method: "kmedoids"}, "unknown clustering method"},
		{"unknown criterion", X, KRange{Min: 2, Max: 3, By: "silhouete"}, ward, `did you mean "silhouette"`},
		{"bic without gmm", X, KRange{Min: 2, Max: 3, By: "bic"}, ward, "only gmm has"},
		{"min below 2", X, KRange{Min: 1, Max: 3}, ward, "needs at least 2 clusters"},
		{"bic min below 1", X, KRange{Min: 0, Max: 3, By: "bic"}, ClusterSpec{Method: "gmm"}, "needs at least 1"},
		{"max below min", X, KRange{Min: 3, Max: 2}, ward, "below min k"},
		{"max above rows", X, KRange{Min: 2, Max: 6}, ward, "exceeds the 5 rows"},
		{"fit error", X, KRange{Min: 2, Max: 3}, ClusterSpec{Method: "hierarchical",
			Params: map[string]any{"linkage": "centroid"}}, "k=2: hierarchical: unknown linkage \"centroid\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ChooseK(tc.X, tc.r, tc.s, EvalOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// k equal to the rows is allowed; every row its own cluster is degenerate, scores 0, and is not chosen.
	best, scores, err := ChooseK(X, KRange{Min: 2, Max: 5}, ward, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scores[3].K != 5 || scores[3].Score != 0 || best.K == 5 {
		t.Errorf("scores %v, chose %d", scores, best.K)
	}
	for _, sc := range scores {
		if math.IsNaN(sc.Score) {
			t.Errorf("NaN score %v", sc)
		}
	}
}
