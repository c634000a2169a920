package algorithms

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// treeIrisGolden is testdata/golden/tree_iris.json: iris, its k-means labels and sklearn's tree fidelity.
type treeIrisGolden struct {
	X        [][]float64 `json:"X"`
	Labels   []int       `json:"labels"`
	MaxDepth int         `json:"max_depth"`
	Fidelity float64     `json:"fidelity"`
	NLeaves  int         `json:"n_leaves"`
}

func TestExplainClustersIrisFidelity(t *testing.T) {
	var g treeIrisGolden
	readGolden(t, "tree_iris", &g)
	f := prepFrameOf(g.X)
	names := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
	for j := range f.Columns {
		f.Columns[j].Name = names[j]
	}
	ex, err := ExplainClusters(f, g.Labels, g.MaxDepth, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Fidelity != g.Fidelity {
		t.Errorf("fidelity %.17g, want sklearn's %.17g", ex.Fidelity, g.Fidelity)
	}
	if ex.Leaves > g.NLeaves {
		t.Errorf("%d leaves, sklearn has %d (merging can only reduce them)", ex.Leaves, g.NLeaves)
	}
	// Every explained row is in exactly one leaf, and each leaf's rule, evaluated on the raw data, selects
	// exactly its support.
	total := 0
	for _, c := range ex.Clusters {
		for _, r := range c.Rules {
			total += r.Support
			if got := treeCountMatching(f, r.Conditions); got != r.Support {
				t.Errorf("rule %q selects %d rows, support says %d", r.Rule, got, r.Support)
			}
		}
	}
	if total != 150 || ex.Rows != 150 || ex.FittedRows != 150 || ex.Sampled {
		t.Errorf("supports sum to %d, rows %d fitted %d", total, ex.Rows, ex.FittedRows)
	}
	// Depth 0 means 3.
	ex0, err := ExplainClusters(f, g.Labels, 0, 0)
	if err != nil || ex0.Fidelity != ex.Fidelity || ex0.MaxDepth != 3 {
		t.Errorf("depth 0: %v, fidelity %v", err, ex0.Fidelity)
	}
	for _, c := range ex.Clusters {
		for _, r := range c.Rules {
			t.Logf("cluster %d: %s (support %d, precision %.3f, coverage %.3f)", c.Cluster, r.Rule, r.Support, r.Precision, r.Coverage)
		}
	}
}

func treeCountMatching(f *Frame, conds []Condition) int {
	count := 0
	for i := 0; i < f.Len(); i++ {
		ok := true
		for _, c := range conds {
			var v float64
			for _, col := range f.Columns {
				if col.Name == c.Feature {
					v = col.Num[i]
				}
			}
			if c.Op == "<=" {
				ok = ok && v <= c.Threshold
			} else {
				ok = ok && v > c.Threshold
			}
		}
		if ok {
			count++
		}
	}
	return count
}

func TestExplainClustersHandCases(t *testing.T) {
	num := func(name string, v ...float64) Column { return Column{Name: name, Num: v} }

	// One clean threshold on recency; frequency is noise. Threshold halfway between 30 and 31.
	f := &Frame{Columns: []Column{
		num("recency_days", 1, 5, 10, 30, 31, 60, 90, 200),
		num("frequency", 3, 1, 2, 3, 1, 2, 3, 1),
		{Name: "country", Text: []string{"a", "b", "a", "b", "a", "b", "a", "b"}},
	}}
	ex, err := ExplainClusters(f, []int{0, 0, 0, 0, 1, 1, 1, 1}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Fidelity != 1 || ex.Leaves != 2 {
		t.Fatalf("fidelity %v leaves %d", ex.Fidelity, ex.Leaves)
	}
	if r := ex.Clusters[0].Rules[0]; r.Rule != "recency_days <= 30.5" || r.Support != 4 || r.Precision != 1 || r.Coverage != 1 {
		t.Errorf("cluster 0 rule %+v", r)
	}
	if r := ex.Clusters[1].Rules[0]; r.Rule != "recency_days > 30.5" {
		t.Errorf("cluster 1 rule %+v", r)
	}
	if len(ex.Notes) != 1 || !strings.Contains(ex.Notes[0], "country") {
		t.Errorf("notes %v", ex.Notes)
	}

	// Two features separate equally well: the lowest feature index wins the tie.
	f = &Frame{Columns: []Column{num("b", 1, 2, 3, 4), num("a", 10, 20, 30, 40)}}
	ex, err = ExplainClusters(f, []int{0, 0, 1, 1}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := ex.Clusters[0].Rules[0].Rule; r != "b <= 2.5" {
		t.Errorf("tie broken to %q, want the first feature", r)
	}

	// Equal-gain thresholds on one feature: the lowest threshold wins. Labels 0 1 0 1 ... every split
	// point with equal gain; depth 1.
	f = &Frame{Columns: []Column{num("x", 1, 2, 3, 4, 5, 6)}}
	ex, err = ExplainClusters(f, []int{0, 1, 1, 0, 0, 1}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	// S = ΣcL²/nL + ΣcR²/nR is 3.6 after x=1 and after x=5 (3, 3.33, 3 between): the lower threshold wins.
	if r := ex.Clusters[0].Rules[0].Rule; r != "x <= 1.5" {
		t.Errorf("equal-gain thresholds: %q, want the lowest, x <= 1.5", r)
	}

	// Nested conditions on one feature collapse to the tightest bounds, noise and NaN rows are left out.
	f = &Frame{Columns: []Column{num("x", 1, 2, 3, 4, 5, 6, 7, math.NaN(), 100)}}
	ex, err = ExplainClusters(f, []int{0, 0, 1, 1, 2, 2, 2, 0, Noise}, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Rows != 7 || ex.Fidelity != 1 || len(ex.Notes) != 2 {
		t.Errorf("rows %d fidelity %v notes %v", ex.Rows, ex.Fidelity, ex.Notes)
	}
	if r := ex.Clusters[1].Rules[0].Rule; r != "x > 2.5 and x <= 4.5" {
		t.Errorf("middle cluster rule %q", r)
	}

	// A single cluster: no split, rule "true".
	ex, err = ExplainClusters(&Frame{Columns: []Column{num("x", 1, 2)}}, []int{4, 4}, 2, 0)
	if err != nil || ex.Fidelity != 1 || ex.Clusters[0].Cluster != 4 || ex.Clusters[0].Rules[0].Rule != "true" {
		t.Errorf("single cluster: %v %+v", err, ex)
	}
	// Identical rows with different labels: nothing to split on, the majority (lowest on ties) wins.
	ex, err = ExplainClusters(&Frame{Columns: []Column{num("x", 3, 3, 3)}}, []int{1, 0, 1}, 2, 0)
	if err != nil || math.Abs(ex.Fidelity-2.0/3) > 1e-15 || len(ex.Clusters[0].Rules) != 0 {
		t.Errorf("identical rows: %v %+v", err, ex)
	}
}

func TestExplainClustersBadInput(t *testing.T) {
	num := Column{Name: "x", Num: []float64{1, 2}}
	cases := []struct {
		name   string
		f      *Frame
		labels []int
		depth  int
	}{
		{"nil frame", nil, nil, 3},
		{"no columns", &Frame{}, nil, 3},
		{"label count", &Frame{Columns: []Column{num}}, []int{0}, 3},
		{"text only", &Frame{Columns: []Column{{Name: "t", Text: []string{"a", "b"}}}}, []int{0, 1}, 3},
		{"all noise", &Frame{Columns: []Column{num}}, []int{Noise, Noise}, 3},
		{"bad label", &Frame{Columns: []Column{num}}, []int{-2, 0}, 3},
		{"depth", &Frame{Columns: []Column{num}}, []int{0, 1}, 11},
		{"negative depth", &Frame{Columns: []Column{num}}, []int{0, 1}, -1},
		{"all missing", &Frame{Columns: []Column{{Name: "x", Num: []float64{math.NaN(), math.Inf(1)}}}}, []int{0, 1}, 3},
	}
	for _, c := range cases {
		if _, err := ExplainClusters(c.f, c.labels, c.depth, 0); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

// TestExplainClustersSamples checks that a large input is grown on a reproducible sample and still
// evaluated on every row.
func TestExplainClustersSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 250k-row input")
	}
	n := MaxExplainRows + 50_000
	x := make([]float64, n)
	labels := make([]int, n)
	for i := range x {
		x[i] = float64(i % 1000)
		if x[i] >= 500 {
			labels[i] = 1
		}
	}
	f := &Frame{Columns: []Column{{Name: "x", Num: x}}}
	ex, err := ExplainClusters(f, labels, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Sampled || ex.FittedRows != MaxExplainRows || ex.Rows != n || ex.Fidelity != 1 {
		t.Errorf("sampled %v fitted %d rows %d fidelity %v", ex.Sampled, ex.FittedRows, ex.Rows, ex.Fidelity)
	}
	again, _ := ExplainClusters(f, labels, 2, 0)
	if fmt.Sprint(again) != fmt.Sprint(ex) {
		t.Errorf("sampling is not reproducible")
	}
}

// BenchmarkExplainClusters is the runner's case: 1M customers × 8 features, sampled to MaxExplainRows.
func BenchmarkExplainClusters(b *testing.B) {
	f := prepBenchFrame(1_000_000, 8)
	labels := make([]int, f.Len())
	for i := range labels {
		v := f.Columns[0].Num[i] + f.Columns[3].Num[i]/4
		labels[i] = min(int(v/15), 5)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExplainClusters(f, labels, 3, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestArgsortFinite(t *testing.T) {
	x := []float64{3, -1, 0, -0.5, 3, 1e300, -1e-300, 2, -1, 0}
	got := argsortFinite(x)
	want := []int32{1, 8, 3, 6, 2, 9, 7, 0, 4, 5}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("argsortFinite = %v, want %v", got, want)
	}
	if got := argsortFinite(nil); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}
