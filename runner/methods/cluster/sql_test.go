package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/internal/enginetest"
)

// The input the differential tests cluster: id, a (three clusters, values rounded so rows tie), am (a with
// NULLs and NaNs), b (a count, 0 included, for log1p), c (a decimal), k (constant), t (text with NULL and a
// category only the assigned rows have), f (boolean).
var clusterColumns = []string{"id BIGINT", "a DOUBLE PRECISION", "am DOUBLE PRECISION",
	"b BIGINT", "c DECIMAL(10,2)", "k DOUBLE PRECISION", "t VARCHAR", "f BOOLEAN"}

type clusterData struct {
	rows [][]any
	all  *algorithms.Frame // every row, as readClusterInput reads it
	fit  *algorithms.Frame // the rows the model is fitted on: two in three, none with t = 'é'
}

func makeClusterData(n int, seed uint64) *clusterData {
	rng := rand.New(rand.NewPCG(seed, 11))
	d := &clusterData{}
	num := map[string][]float64{}
	var text []string
	var textNull []bool
	var flags []string
	cats := []string{"x", "y", "z", "é"}
	for i := range n {
		center := float64(rng.IntN(3)) * 4
		a := math.Round((center+rng.NormFloat64())*4) / 4 // quarter steps: exact ties between rows
		am := any(a)
		amv := a
		switch rng.IntN(12) {
		case 0:
			am, amv = nil, math.NaN()
		case 1:
			am, amv = math.NaN(), math.NaN()
		}
		b := int64(rng.IntN(int(1+center*5))) * int64(1+rng.IntN(3))
		cs := strconv.FormatFloat(float64(rng.IntN(100000))/100+center*100, 'f', 2, 64)
		c, _ := strconv.ParseFloat(cs, 64)
		var t any
		tv, tnull := "", true
		if rng.IntN(10) > 0 {
			tv, tnull = cats[(int(center)/4+rng.IntN(2))%len(cats)], false
			if rng.IntN(20) == 0 {
				tv = "é"
			}
			t = tv
		}
		f := rng.IntN(2) == 0
		d.rows = append(d.rows, []any{int64(i + 1), a, am, b, c, 7.5, t, f})
		num["a"], num["am"], num["b"], num["c"], num["k"] = append(num["a"], a), append(num["am"], amv), append(num["b"], float64(b)), append(num["c"], c), append(num["k"], 7.5)
		text, textNull, flags = append(text, tv), append(textNull, tnull), append(flags, strconv.FormatBool(f))
	}
	frame := func(keep func(i int) bool) *algorithms.Frame {
		fr := &algorithms.Frame{}
		for _, name := range []string{"a", "am", "b", "c", "k"} {
			col := algorithms.Column{Name: name}
			for i, v := range num[name] {
				if keep(i) {
					col.Num = append(col.Num, v)
				}
			}
			fr.Columns = append(fr.Columns, col)
		}
		tc, fc := algorithms.Column{Name: "t", Text: []string{}, Null: []bool{}}, algorithms.Column{Name: "f", Text: []string{}, Null: []bool{}}
		for i := range text {
			if keep(i) {
				tc.Text, tc.Null = append(tc.Text, text[i]), append(tc.Null, textNull[i])
				fc.Text, fc.Null = append(fc.Text, flags[i]), append(fc.Null, false)
			}
		}
		fr.Columns = append(fr.Columns, tc, fc)
		return fr
	}
	d.all = frame(func(int) bool { return true })
	d.fit = frame(func(i int) bool { return i%3 != 0 && text[i] != "é" })
	return d
}

type assignCase struct {
	name     string
	features []string
	prep     algorithms.PrepSpec
	cluster  algorithms.ClusterSpec
	fitRows  int // fit on the first fitRows sampled rows (0: all of them)
}

func assignCases() []assignCase {
	std := algorithms.PrepSpec{Scale: "standard"}
	onehot := map[string][]algorithms.Transform{"t": {{Kind: "onehot"}}, "f": {{Kind: "onehot"}}}
	var cases []assignCase
	for k := 2; k <= 8; k++ {
		cases = append(cases, assignCase{name: fmt.Sprintf("kmeans_k%d", k), features: []string{"a", "b", "c"}, prep: std,
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: k, Seed: uint64(k)}})
	}
	cases = append(cases,
		assignCase{name: "kmeans_minmax_pca_constant", features: []string{"a", "b", "c", "k"},
			prep:    algorithms.PrepSpec{Scale: "minmax", PCA: &algorithms.PCASpec{Components: 2}},
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: 4, Seed: 1}},
		assignCase{name: "kmeans_robust_median", features: []string{"am", "b", "c"},
			prep:    algorithms.PrepSpec{Scale: "robust", Impute: "median"},
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: 5, Seed: 2}},
		assignCase{name: "kmeans_none_drop_onehot", features: []string{"am", "t", "f"},
			prep:    algorithms.PrepSpec{Scale: "none", Impute: "drop", Transform: onehot},
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: 3, Seed: 3}},
		assignCase{name: "kmeans_zero_onehot_pca", features: []string{"am", "c", "t", "f"},
			prep:    algorithms.PrepSpec{Impute: "zero", Transform: onehot, PCA: &algorithms.PCASpec{Variance: 0.9}},
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: 6, Seed: 4}},
		assignCase{name: "kmeans_clip_winsorize_mean", features: []string{"am", "c", "a"},
			prep: algorithms.PrepSpec{Impute: "mean", Transform: map[string][]algorithms.Transform{
				"am": {{Kind: "clip", Lower: 0.1, Upper: 0.9}}, "c": {{Kind: "winsorize", Lower: 0.05}}}},
			cluster: algorithms.ClusterSpec{Method: "kmeans", K: 4, Seed: 5}},
		assignCase{name: "minibatch_kmeans", features: []string{"a", "b", "c"}, prep: std,
			cluster: algorithms.ClusterSpec{Method: "minibatch_kmeans", K: 3, Seed: 6}},
		assignCase{name: "hierarchical", features: []string{"a", "b", "c"}, prep: std, fitRows: 400,
			cluster: algorithms.ClusterSpec{Method: "hierarchical", K: 4, Seed: 7}},
		assignCase{name: "gmm_diag_pca", features: []string{"a", "b", "c", "k"},
			prep:    algorithms.PrepSpec{PCA: &algorithms.PCASpec{Components: 2}},
			cluster: algorithms.ClusterSpec{Method: "gmm", K: 4, Seed: 8, Params: map[string]any{"covariance_type": "diag"}}},
	)
	for _, cov := range []string{"full", "diag", "spherical", "tied"} {
		cases = append(cases, assignCase{name: "gmm_" + cov, features: []string{"a", "am", "c", "t"},
			prep:    algorithms.PrepSpec{Impute: "mean", Transform: map[string][]algorithms.Transform{"t": {{Kind: "onehot"}}}},
			cluster: algorithms.ClusterSpec{Method: "gmm", K: 3, Seed: 9, Params: map[string]any{"covariance_type": cov}}})
	}
	return cases
}

// fitCase fits a case on the data's fit rows as the cluster method would: a stored model with stable ids
// that are not the labels (reversed, from 100), so the SQL's mapping is tested too.
func fitCase(t *testing.T, d *clusterData, c assignCase) *storedModel {
	t.Helper()
	fr := algorithms.Subframe(d.fit, c.features)
	if c.fitRows > 0 {
		for i := range fr.Columns {
			col := &fr.Columns[i]
			if col.Num != nil {
				col.Num = col.Num[:c.fitRows]
			} else {
				col.Text, col.Null = col.Text[:c.fitRows], col.Null[:c.fitRows]
			}
		}
	}
	prep, X, _, err := algorithms.FitPrep(fr, c.prep)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := algorithms.Cluster(X, c.cluster)
	if err != nil {
		t.Fatal(err)
	}
	m := &storedModel{Prep: prep, Model: cl.Model, Segments: map[int]string{}}
	for l := range cl.K {
		id := 100 + cl.K - 1 - l
		m.IDs = append(m.IDs, id)
		m.Segments[id] = fmt.Sprintf("segment %d's", id)
	}
	return m
}

// The SQL assignment equals assignWithModel's on DuckDB and PostgreSQL for k-means (k = 2..8), mini-batch
// k-means, hierarchical and the four GMM covariance types, over every scaler, PCA on and off, each impute,
// clip, winsorize, one-hot (NULL and an unseen category) and a constant column: the same rows, the same
// stable cluster ids and segments, and the scores behind them equal to the last bit, so no row near a
// tie can fall the other way. GMM probabilities go through exp, whose last bits differ between the C
// library and Go: they agree within 1e-13.
func TestAssignmentSQLEqualsGo(t *testing.T) {
	d := makeClusterData(3000, 1)
	engines := enginetest.Both(t)
	for _, e := range engines {
		e.Load(t, "input", clusterColumns, d.rows)
	}
	for _, c := range assignCases() {
		m := fitCase(t, d, c)
		X, labels, prob, rep, err := assignWithModel(m, algorithms.Subframe(d.all, c.features))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		want := map[int64]string{}
		for i, l := range labels {
			row := i
			if rep.Kept != nil {
				row = rep.Kept[i]
			}
			want[int64(row+1)] = fmt.Sprintf("%s %d", m.Segments[l], l)
		}
		q, err := AssignmentSQL(m.Prep, m.Model, m.IDs, m.Segments, "input", "id")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		scored, _, _, err := scoredSQL(m.Prep, m.Model, "input", "id")
		if err != nil {
			t.Fatal(err)
		}
		goScores := goScores(t, m.Model, X)
		for _, e := range engines {
			t.Run(e.Name+"/"+c.name, func(t *testing.T) {
				got := e.Query(t, q)
				if len(got) != len(want) {
					t.Errorf("%d rows assigned, want %d", len(got), len(want))
				}
				wrong := 0
				for i, row := range got {
					g := fmt.Sprintf("%s %d", row[1], row[2])
					if w := want[row[0].(int64)]; g != w {
						if wrong++; wrong <= 5 {
							t.Errorf("id %d: SQL assigns %q, Go %q", row[0], g, w)
						}
					}
					if prob != nil {
						p, ok := row[3].(float64)
						gp := prob[indexOf(rep, int(row[0].(int64))-1)]
						if !ok || math.Abs(p-gp) > 1e-13 {
							t.Errorf("id %d: probability %v, Go %v", row[0], row[3], gp)
						}
					} else if len(row) != 3 {
						t.Errorf("row %d has %d columns, want 3", i, len(row))
					}
				}
				if wrong > 0 {
					t.Errorf("%d of %d rows assigned differently", wrong, len(got))
				}
				// The scores themselves, bit for bit.
				cols := scoreColumns(m.Model, len(goScores[0]))
				rows := e.Query(t, fmt.Sprintf("SELECT id, %s FROM (%s) s ORDER BY id", strings.Join(cols, ", "), scored))
				diff := 0
				for i, row := range rows {
					for j, v := range row[1:] {
						if v.(float64) != goScores[i][j] {
							if diff++; diff <= 3 {
								t.Errorf("id %d score %d: SQL %v, Go %v", row[0], j, v, goScores[i][j])
							}
						}
					}
				}
				if diff > 0 {
					t.Errorf("%d scores differ from Go's", diff)
				}
			})
		}
	}
}

func indexOf(rep *algorithms.PrepReport, row int) int {
	if rep.Kept == nil {
		return row
	}
	for i, r := range rep.Kept {
		if r == row {
			return i
		}
	}
	return -1
}

func scoreColumns(m *algorithms.Model, k int) []string {
	prefix := "segrun_s"
	if m.GMM != nil {
		prefix = "segrun_l"
	}
	return names(prefix, k)
}

// goScores computes, per prepared row, the scores the terms describe, in Go: the numbers the SQL must
// reproduce (algorithms' tests hold the terms to NearestCentroid and GMMParams.Predict).
func goScores(t *testing.T, m *algorithms.Model, X *algorithms.Matrix) [][]float64 {
	out := make([][]float64, X.Rows)
	if m.GMM != nil {
		terms, err := m.GMM.LogDensityTerms()
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			out[i] = algorithms.GMMLogDensities(terms, X.Row(i))
		}
		return out
	}
	terms := algorithms.NearestCentroidTerms(m.Centroids)
	for i := range out {
		out[i] = algorithms.NearestScores(terms, X.Row(i))
	}
	return out
}

// log1p is the one step not bit-for-bit: ln(1 + x) against Go's math.Log1p. On this data no row is
// assigned differently; the scores differ in the last bits for the rows measured here, and the test fails
// if that grows beyond a relative 1e-12 or if any label changes.
func TestAssignmentSQLLog1pTolerance(t *testing.T) {
	d := makeClusterData(3000, 2)
	c := assignCase{name: "log1p", features: []string{"a", "b", "c"},
		prep:    algorithms.PrepSpec{Transform: map[string][]algorithms.Transform{"b": {{Kind: "log1p"}}, "c": {{Kind: "log1p"}}}},
		cluster: algorithms.ClusterSpec{Method: "kmeans", K: 5, Seed: 1}}
	m := fitCase(t, d, c)
	X, labels, _, _, err := assignWithModel(m, algorithms.Subframe(d.all, c.features))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := AssignmentSQL(m.Prep, m.Model, m.IDs, m.Segments, "input", "id")
	scored, _, _, _ := scoredSQL(m.Prep, m.Model, "input", "id")
	gs := goScores(t, m.Model, X)
	for _, e := range enginetest.Both(t) {
		e.Load(t, "input", clusterColumns, d.rows)
		wrong := 0
		for _, row := range e.Query(t, q) {
			if row[2].(int64) != int64(labels[row[0].(int64)-1]) {
				wrong++
			}
		}
		inexact, worst := 0, 0.0
		for i, row := range e.Query(t, fmt.Sprintf("SELECT id, %s FROM (%s) s ORDER BY id", strings.Join(scoreColumns(m.Model, 5), ", "), scored)) {
			for j, v := range row[1:] {
				if g := gs[i][j]; v.(float64) != g {
					inexact++
					worst = max(worst, math.Abs(v.(float64)-g)/max(math.Abs(g), 1e-300))
				}
			}
		}
		t.Logf("%s: %d of %d scores differ from Go's in the last bits (worst relative %.2g), %d labels differ", e.Name, inexact, 5*len(labels), worst, wrong)
		if wrong > 0 || worst > 1e-12 {
			t.Errorf("%s: %d labels differ, worst relative score difference %.2g", e.Name, wrong, worst)
		}
	}
}

// What makes Apply fail on the data fails the check with Apply's own error.
func TestPrepCheckGivesApplysError(t *testing.T) {
	rows := [][]any{{1, 1.0, 2.0, 3}, {2, nil, -3.0, 4}, {3, math.NaN(), math.Inf(1), 5}, {4, 2.0, 1.0, -1}}
	cols := []string{"id BIGINT", "x DOUBLE PRECISION", "y DOUBLE PRECISION", "z BIGINT"}
	fitFrame := &algorithms.Frame{Columns: []algorithms.Column{{Name: "x", Num: []float64{1, 2, 3}}, {Name: "y", Num: []float64{1, 2, 4}}, {Name: "z", Num: []float64{1, 2, 3}}}}
	data := &algorithms.Frame{Columns: []algorithms.Column{{Name: "x", Num: []float64{1, math.NaN(), math.NaN(), 2}}, {Name: "y", Num: []float64{2, -3, math.Inf(1), 1}},
		{Name: "z", Num: []float64{3, 4, 5, -1}}}}
	specs := []algorithms.PrepSpec{
		{},               // x is missing (NULL, NaN) and y has +Inf: Inf is scanned for first
		{Impute: "mean"}, // y's +Inf
		{Impute: "zero", Transform: map[string][]algorithms.Transform{"z": {{Kind: "log1p"}}}}, // still y's Inf
		{Impute: "drop", Transform: map[string][]algorithms.Transform{"z": {{Kind: "log1p"}}}}, // y's Inf
	}
	for _, e := range enginetest.Both(t) {
		e.Load(t, "input", cols, rows)
		e.Load(t, "finite", cols, [][]any{{1, 1.0, 2.0, 3}, {2, nil, -3.0, 4}, {3, math.NaN(), 2.0, -1}, {4, 2.0, 1.0, -1}})
		finite := &algorithms.Frame{Columns: []algorithms.Column{{Name: "x", Num: []float64{1, math.NaN(), math.NaN(), 2}}, {Name: "y", Num: []float64{2, -3, 2, 1}},
			{Name: "z", Num: []float64{3, 4, -1, -1}}}}
		for i, s := range append(specs, algorithms.PrepSpec{Impute: "mean", Transform: map[string][]algorithms.Transform{"y": {{Kind: "log1p"}}}}) {
			table, frame := "input", data
			if i >= 2 {
				table, frame = "finite", finite
			}
			for _, extra := range []bool{false, true} {
				spec := s
				if extra && i >= 2 { // z's log1p at -1 (kept rows only with drop), or y's at -3
					spec.Transform = map[string][]algorithms.Transform{"z": {{Kind: "log1p"}}, "y": {{Kind: "clip", Lower: 0, Upper: 1}}}
				}
				prep, _, _, err := algorithms.FitPrep(fitFrame, spec)
				if err != nil {
					t.Fatal(err)
				}
				_, _, applyErr := prep.Apply(frame)
				check, err := NewPrepCheck(prep, table)
				if err != nil {
					t.Fatal(err)
				}
				var counts []int64
				for _, v := range e.Query(t, check.Statement)[0] {
					counts = append(counts, v.(int64))
				}
				got := check.Err(counts)
				var de *algorithms.DataError
				if errors.As(applyErr, &de) != (got != nil) || got != nil && got.Error() != applyErr.Error() {
					t.Errorf("%s, spec %d (%v): check says %v, Apply %v", e.Name, i, extra, got, applyErr)
				}
			}
		}
	}
}

// DBSCAN says at validation that it cannot run on the engine; the others can.
func TestPushdownError(t *testing.T) {
	for _, m := range algorithms.Methods() {
		err := PushdownError(m, "postgres")
		if (err != nil) != (m == "dbscan") {
			t.Errorf("%s: %v", m, err)
		}
	}
	if err := PushdownError("dbscan", "postgres"); !strings.Contains(err.Error(), "cannot run on engine postgres") {
		t.Error(err)
	}
	if _, err := AssignmentSQL(&algorithms.Prep{}, &algorithms.Model{Method: "dbscan"}, nil, nil, "t", "id"); err == nil {
		t.Error("AssignmentSQL wrote SQL for dbscan")
	}
}

// The sample is the same rows in the same order on both engines, for integer and text entities, of the
// size asked (the whole table when it is smaller), and another seed draws another sample.
func TestSampleSQLIsTheSameOnBothEngines(t *testing.T) {
	var rows [][]any
	for i := range 500 {
		rows = append(rows, []any{int64(i * 7), fmt.Sprintf("cust-%d-é", i), float64(i)})
	}
	cols := []string{"n BIGINT", "s VARCHAR", "v DOUBLE PRECISION"}
	results := map[string][]string{}
	for _, e := range enginetest.Both(t) {
		e.Load(t, "input", cols, rows)
		for _, q := range []struct {
			name   string
			entity string
			seed   uint64
			n      int
		}{{"int", "n", 1, 100}, {"int_seed2", "n", 2, 100}, {"text", "s", 1, 100}, {"whole", "n", 1, 1000}} {
			got := e.Query(t, SampleSQL("input", q.entity, []string{"v"}, q.seed, q.n))
			want := min(q.n, len(rows))
			if len(got) != want {
				t.Fatalf("%s %s: %d rows, want %d", e.Name, q.name, len(got), want)
			}
			results[e.Name+" "+q.name] = []string{fmt.Sprint(got)}
			if prev, ok := results["duckdb "+q.name]; ok && e.Name != "duckdb" && prev[0] != fmt.Sprint(got) {
				t.Errorf("%s: the sample differs between DuckDB and %s", q.name, e.Name)
			}
		}
		if results[e.Name+" int"][0] == results[e.Name+" int_seed2"][0] {
			t.Errorf("%s: seeds 1 and 2 draw the same sample", e.Name)
		}
	}
}

// Rows equidistant from two centroids in exact arithmetic, which rounding alone decides: centroids at
// multiples of 0.1 and rows at multiples of 0.05 (neither exact in binary) put hundreds of rows on the
// bisectors. The SQL gives every one of them Go's label, on both engines; the textbook formula (argmin
// of Σ (x - c)²) is logged for comparison, as the number of rows it would give another cluster.
func TestAssignmentSQLBreaksTiesAsGo(t *testing.T) {
	var rows [][]any
	var xs, ys []float64
	for i := range 21 {
		for j := range 21 {
			x, y := float64(i)*0.05, float64(j)*0.05
			rows = append(rows, []any{int64(len(rows) + 1), x, y})
			xs, ys = append(xs, x), append(ys, y)
		}
	}
	frame := &algorithms.Frame{Columns: []algorithms.Column{{Name: "x", Num: xs}, {Name: "y", Num: ys}}}
	engines := enginetest.Both(t)
	for _, e := range engines {
		e.Load(t, "grid", []string{"id BIGINT", "x DOUBLE PRECISION", "y DOUBLE PRECISION"}, rows)
	}
	prep, _, _, err := algorithms.FitPrep(frame, algorithms.PrepSpec{Scale: "none"})
	if err != nil {
		t.Fatal(err)
	}
	for k := 2; k <= 8; k++ {
		C := algorithms.NewMatrix(k, 2)
		for j := range k {
			C.Data[2*j], C.Data[2*j+1] = 0.1*float64(1+(3*j)%9), 0.1*float64(1+(5*j+2)%9)
		}
		m := &storedModel{Prep: prep, Model: &algorithms.Model{Method: "kmeans", Centroids: C}, Segments: map[int]string{}}
		for l := range k {
			m.IDs = append(m.IDs, l)
			m.Segments[l] = strconv.Itoa(l)
		}
		X, labels, _, _, err := assignWithModel(m, frame)
		if err != nil {
			t.Fatal(err)
		}
		textbook, ties := 0, 0
		for i := range X.Rows {
			best, bestD, second := 0, math.Inf(1), math.Inf(1)
			for j := range k {
				dx, dy := X.At(i, 0)-C.At(j, 0), X.At(i, 1)-C.At(j, 1)
				d := dx*dx + dy*dy
				if d < bestD {
					best, bestD, second = j, d, bestD
				} else if d < second {
					second = d
				}
			}
			if best != labels[i] {
				textbook++
			}
			if second-bestD < 1e-12 {
				ties++
			}
		}
		q, err := AssignmentSQL(m.Prep, m.Model, m.IDs, m.Segments, "grid", "id")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range engines {
			wrong := 0
			for _, r := range e.Query(t, q) {
				if r[2].(int64) != int64(labels[r[0].(int64)-1]) {
					wrong++
				}
			}
			if wrong > 0 {
				t.Errorf("%s k=%d: %d of %d rows (%d at a tie) labelled differently from Go", e.Name, k, wrong, X.Rows, ties)
			}
		}
		t.Logf("k=%d: %d of %d rows at a tie; the textbook formula would label %d of them differently", k, ties, X.Rows, textbook)
	}
}

// Without impute, a row with a missing value is one NewPrepCheck refuses; should the statement run on it
// anyway, the row gets no cluster, never the last one that the comparisons fall through to.
func TestAssignmentSQLLeavesUncheckedMissingRowsOut(t *testing.T) {
	frame := &algorithms.Frame{Columns: []algorithms.Column{{Name: "x", Num: []float64{0, 1, 10, 11}}}}
	prep, X, _, err := algorithms.FitPrep(frame, algorithms.PrepSpec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"kmeans", "gmm"} {
		cl, err := algorithms.Cluster(X, algorithms.ClusterSpec{Method: method, K: 2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		q, err := AssignmentSQL(prep, cl.Model, []int{0, 1}, map[int]string{0: "a", 1: "b"}, "input", "id")
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range enginetest.Both(t) {
			e.Load(t, "input", []string{"id BIGINT", "x DOUBLE PRECISION"}, [][]any{{1, 0.0}, {2, nil}, {3, math.NaN()}, {4, 11.0}})
			if got := e.Query(t, q+" ORDER BY id"); len(got) != 2 || got[0][0] != int64(1) || got[1][0] != int64(4) {
				t.Errorf("%s %s: %v", e.Name, method, got)
			}
			e.Exec(t, "DROP TABLE input")
		}
	}
}

// SampleShareSQL takes the same rows on both engines, about the share asked, and all of them when the
// share is the whole table, for integer entities (negative ones too) and text ones; another seed takes
// other rows.
func TestSampleShareSQLIsTheSameOnBothEngines(t *testing.T) {
	var rows [][]any
	for i := range 4000 {
		rows = append(rows, []any{int64(i*13 - 9000), fmt.Sprintf("c-%d", i), float64(i) / 7})
	}
	first := map[string]string{}
	for _, e := range enginetest.Both(t) {
		e.Load(t, "input", []string{"n BIGINT", "s VARCHAR", "v DOUBLE PRECISION"}, rows)
		for _, c := range []struct {
			name, entity string
			integer      bool
			seed         uint64
		}{{"integer", "n", true, 20240131}, {"integer seed 2", "n", true, 2}, {"text", "s", false, 20240131}} {
			got := e.Query(t, "SELECT n, v FROM ("+SampleShareSQL("input", c.entity, c.seed, 1000, 4000, c.integer)+") s ORDER BY n")
			if len(got) < 880 || len(got) > 1120 { // 1000 ± about 4 standard deviations
				t.Errorf("%s, %s: %d rows sampled for about 1000", e.Name, c.name, len(got))
			}
			// The sample is spread over the ids: a quarter of each quarter, give or take.
			for q := range 4 {
				n := 0
				for _, r := range got {
					if id := r[0].(int64); id >= int64(q*1000*13-9000) && id < int64((q+1)*1000*13-9000) {
						n++
					}
				}
				if n < 180 || n > 320 {
					t.Errorf("%s, %s: %d of the sample in quarter %d of the ids", e.Name, c.name, n, q+1)
				}
			}
			if f, ok := first[c.name]; !ok {
				first[c.name] = fmt.Sprint(got)
			} else if fmt.Sprint(got) != f {
				t.Errorf("%s, %s: the sample differs from DuckDB's", e.Name, c.name)
			}
			if all := e.Query(t, "SELECT count(*) FROM ("+SampleShareSQL("input", c.entity, 1, 4000, 4000, c.integer)+") s"); all[0][0] != int64(4000) {
				t.Errorf("%s, %s: the whole share took %v rows", e.Name, c.name, all[0][0])
			}
		}
		if first["integer"] == first["integer seed 2"] {
			t.Errorf("%s: seeds 20240131 and 2 take the same rows", e.Name)
		}
	}
}
