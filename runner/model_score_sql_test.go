package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	sqlpkg "github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// Scoring as SQL inside PostgreSQL equals scoring in Go (the DuckDB path's StoredModel.score) on the same
// rows, for every method and task: linear, logistic (binary, three classes), tree (classes, regression),
// boosted trees (binary, three classes, regression). The rows have NULLs in every feature, a NaN, ties
// (a number of twenty values), a boolean, a text feature with a missing level and a level training never
// saw; each tree is also scored with its thresholds moved onto values the rows have, so rows fall exactly
// on them (x <= threshold goes left in both). The training rows are pulled with binary COPY, as a run on
// the engine does. Classes and deciles must be equal, scores bit-equal, except the probabilities that
// go through exp() (logistic, boosted classifiers), which may differ in the last bits between Go's
// math.Exp and the server's C library: there within 4 ulps. A model changed by a relative 1e-12 in one
// leaf (or the intercept) is caught. The boosted sums are split into layers of four iterations.
func TestModelScoreSQLEqualsGo(t *testing.T) {
	srv := pgtest.New(t)
	// Boosted sums added four iterations per layer: the layers must give the same bits as one sum.
	defer func(n int) { boostTreesPerLayer = n }(boostTreesPerLayer)
	boostTreesPerLayer = 4
	t.Run("sample", func(t *testing.T) { checkModelSampleSameOnDuckDBAndPostgres(t, srv) })
	t.Run("refit never", func(t *testing.T) { checkRefitNeverOnPostgresEqualsDuckDB(t, srv) })
	ctx := context.Background()
	db, err := postgres.Open(ctx, srv.DSN, "scoresql")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 900
	r := rand.New(rand.NewPCG(5, 9))
	var values []string
	for i := 1; i <= n; i++ {
		a := fmt.Sprint(float64(r.IntN(20)) * 0.37)
		switch {
		case i%13 == 0:
			a = "NULL"
		case i%41 == 0:
			a = "'NaN'"
		}
		b := fmt.Sprint(r.IntN(100))
		if i%17 == 0 {
			b = "NULL"
		}
		flag := fmt.Sprint(r.IntN(2) == 0)
		if i%19 == 0 {
			flag = "NULL"
		}
		c := []string{"'A'", "'B'", "'C'"}[r.IntN(3)]
		if i%11 == 0 {
			c = "NULL"
		}
		if algorithms.InTestPart(fmt.Sprint(i), 3, 0.25) && i%7 == 0 {
			c = "'ZZ'" // only in the test part: unseen by the encoding
		}
		z := r.NormFloat64()
		if strings.Contains(c, "A") {
			z += 0.8
		}
		if b != "NULL" && b > "5" {
			z -= 0.5
		}
		y2 := "no"
		if z > 0 {
			y2 = "yes"
		}
		y3 := []string{"p", "q", "r"}[min(2, max(0, int(z+1)))]
		values = append(values, fmt.Sprintf("(%d, %s, %s, %s, %s, '%s', '%s', %g)", i, a, b, flag, c, y2, y3, z*10+float64(r.IntN(3))))
	}
	for _, q := range []string{
		"CREATE TABLE scoring (id bigint, a double precision, b integer, flag boolean, c text, y2 text, y3 text, t double precision)",
		"INSERT INTO scoring VALUES " + strings.Join(values, ", "),
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	kinds := map[string]string{"a": colNumber, "b": colNumber, "flag": colBool, "c": colText, "y2": colText, "y3": colText, "t": colNumber}
	boost := spec.ModelParams{MaxIter: 15, MaxLeafNodes: 8, MinSamplesLeaf: 5}
	e := &execution{res: &Result{}}
	for _, c := range []struct {
		method, label string
		regression    bool
		params        spec.ModelParams
		exp           bool // probabilities through exp()
	}{
		{"linear", "t", true, spec.ModelParams{}, false},
		{"logistic", "y2", false, spec.ModelParams{}, true},
		{"logistic", "y3", false, spec.ModelParams{}, true},
		{"tree", "y2", false, spec.ModelParams{MaxDepth: 4}, false},
		{"tree", "y3", false, spec.ModelParams{MaxDepth: 4}, false},
		{"tree", "t", true, spec.ModelParams{MaxDepth: 4}, false},
		{"boosted_trees", "y2", false, boost, true},
		{"boosted_trees", "y3", false, boost, true},
		{"boosted_trees", "t", true, boost, false},
	} {
		name := c.method + "_" + c.label
		m := spec.Model{Method: c.method, Label: c.label, Features: []string{"a", "b", "flag", "c"}, Params: c.params, Split: spec.ModelSplit{Test: 0.25, Seed: 3}}
		pulled, err := db.PullArrow(ctx, modelRowsQuery(true, "id", false, m, "scoring", kinds, true, c.regression, 0))
		if err != nil {
			t.Fatal(err)
		}
		batches, _, err := methods.RetainAll(pulled)
		pulled.Release()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := decodeModelRows(batches, "id", m, "scoring", kinds, true)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.release()
		fitted, err := e.fitModel(m, rows, &ModelReport{Name: name}, c.regression, false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		models := map[string]*StoredModel{name: fitted}
		if tied := onDataThresholds(fitted, rows); tied != nil {
			models[name+" (thresholds on the rows' values)"] = tied
		}
		for what, model := range models {
			if diffs := compareSQLScores(t, ctx, db, model, rows, kinds, c.exp); len(diffs) > 0 {
				t.Errorf("%s: %d of %d rows differ, first: %s", what, len(diffs), n, diffs[0])
			}
		}
		// A deliberate mistake: the first leaf of the first tree, or the intercept, off by a relative 1e-12.
		wrong := *fitted
		switch {
		case fitted.Boost != nil:
			b := *fitted.Boost
			b.Trees = append([][]algorithms.BoostNode{append([]algorithms.BoostNode(nil), b.Trees[0]...)}, b.Trees[1:]...)
			for k := range b.Trees[0] {
				if b.Trees[0][k].Left < 0 {
					b.Trees[0][k].Value *= 1 + 1e-12
					break
				}
			}
			wrong.Boost = &b
		case fitted.Linear != nil:
			l := *fitted.Linear
			l.Intercept *= 1 + 1e-12
			wrong.Linear = &l
		default:
			continue
		}
		q, err := modelScoreSQL("mdl", "id", false, "scoring", kinds, &wrong)
		if err != nil {
			t.Fatal(err)
		}
		if diffs := compareScores(t, ctx, db, q, fitted, rows, false); len(diffs) == 0 {
			t.Errorf("%s: a leaf or intercept off by 1e-12 was not caught", name)
		}
	}
}

// compareSQLScores scores rows with model in SQL and in Go, and lists the rows that differ.
func compareSQLScores(t *testing.T, ctx context.Context, db *postgres.DB, model *StoredModel, rows *modelRows, kinds map[string]string, viaExp bool) []string {
	t.Helper()
	q, err := modelScoreSQL("mdl", "id", false, "scoring", kinds, model)
	if err != nil {
		t.Fatal(err)
	}
	return compareScores(t, ctx, db, q, model, rows, viaExp)
}

func compareScores(t *testing.T, ctx context.Context, db *postgres.DB, q string, model *StoredModel, rows *modelRows, viaExp bool) []string {
	t.Helper()
	class, score, deciles, err := model.score(rows)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := db.PullArrow(ctx, "SELECT * FROM ("+q+") s ORDER BY id")
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer pulled.Release()
	var diffs []string
	i, inexact := 0, 0
	defer func() {
		if inexact > 0 {
			t.Logf("%d of %d scores through exp() were not bit-equal", inexact, i)
		}
	}()
	for pulled.Next() {
		b := pulled.RecordBatch()
		at := 1
		var classes *array.String
		if class != nil {
			classes = b.Column(1).(*array.String)
			at = 2
		}
		scores, decs := b.Column(at).(*array.Float64), b.Column(at+1).(*array.Int32)
		for k := 0; k < int(b.NumRows()); k, i = k+1, i+1 {
			got := scores.Value(k)
			same := got == score[i]
			if viaExp && !same {
				inexact++
				same = math.Abs(got-score[i]) <= 4*ulp(score[i])
			}
			if !same || decs.Value(k) != deciles[i] || (classes != nil && classes.Value(k) != class[i]) {
				d := fmt.Sprintf("row %s: sql score %v decile %d", rows.keys[i], got, decs.Value(k))
				if classes != nil {
					d += " class " + classes.Value(k) + ", go class " + class[i]
				}
				diffs = append(diffs, d+fmt.Sprintf(", go score %v decile %d", score[i], deciles[i]))
			}
		}
	}
	if err := pulled.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(score) {
		t.Fatalf("sql scored %d rows, go %d", i, len(score))
	}
	return diffs
}

func ulp(x float64) float64 { return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x) }

// onDataThresholds is model with each split threshold of its trees moved to the largest encoded value of
// its column among rows that is at most the threshold (nil when model has no tree): rows on the threshold
// go left in Go, and must in SQL.
func onDataThresholds(model *StoredModel, rows *modelRows) *StoredModel {
	X, err := model.Encoder.Transform(rows.cols, nil)
	if err != nil {
		return nil
	}
	snap := func(col int, thr float64) float64 {
		best := math.Inf(-1)
		for i := 0; i < X.Rows; i++ {
			if v := X.At(i, col); v <= thr && v > best {
				best = v
			}
		}
		if math.IsInf(best, -1) {
			return thr
		}
		return best
	}
	out := *model
	switch {
	case model.Tree != nil:
		t := *model.Tree
		t.Nodes = append([]algorithms.TreeNode(nil), t.Nodes...)
		for k := range t.Nodes {
			if t.Nodes[k].Left >= 0 {
				t.Nodes[k].Threshold = snap(t.Nodes[k].Column, t.Nodes[k].Threshold)
			}
		}
		out.Tree = &t
	case model.RegressionTree != nil:
		t := *model.RegressionTree
		t.Nodes = append([]algorithms.TreeNode(nil), t.Nodes...)
		for k := range t.Nodes {
			if t.Nodes[k].Left >= 0 {
				t.Nodes[k].Threshold = snap(t.Nodes[k].Column, t.Nodes[k].Threshold)
			}
		}
		out.RegressionTree = &t
	case model.Boost != nil:
		b := *model.Boost
		b.Trees = make([][]algorithms.BoostNode, len(model.Boost.Trees))
		for i, tree := range model.Boost.Trees {
			b.Trees[i] = append([]algorithms.BoostNode(nil), tree...)
			for k := range b.Trees[i] {
				if b.Trees[i][k].Left >= 0 {
					b.Trees[i][k].Threshold = snap(b.Trees[i][k].Column, b.Trees[i][k].Threshold)
				}
			}
		}
		out.Boost = &b
	default:
		return nil
	}
	return &out
}

// A model's sample_rows sample is the same rows on DuckDB and PostgreSQL (a hash of the split's seed and
// the entity), read in the same order: both engines fit the same rows.
// It runs on TestModelScoreSQLEqualsGo's server (one server start the fewer).
func checkModelSampleSameOnDuckDBAndPostgres(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	pg, err := postgres.Open(ctx, srv.DSN, "modelsample")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	duck, err := sqlpkg.Open(ctx, "", sqlpkg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	var values []string
	for i := 1; i <= 500; i++ {
		values = append(values, fmt.Sprintf("(%d, %d, '%c')", i*7919%100003, i%9, 'a'+rune(i%3)))
	}
	for _, db := range []sqlpkg.Workspace{pg, duck} {
		for _, q := range []string{"CREATE TABLE sampled (id bigint, x integer, y varchar)", "INSERT INTO sampled VALUES " + strings.Join(values, ", ")} {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := spec.Model{Method: "logistic", Label: "y", Features: []string{"x"}, Split: spec.ModelSplit{Seed: 11}}
	kinds := map[string]string{"x": colNumber, "y": colText}
	read := func(db sqlpkg.Workspace, postgres bool) []string {
		rows, err := db.Query(ctx, modelRowsQuery(postgres, "id", false, m, "sampled", kinds, true, false, 120))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, key, label string
			var x float64
			if err := rows.Scan(&id, &key, &label, &x); err != nil {
				t.Fatal(err)
			}
			out = append(out, key+" "+label+" "+fmt.Sprint(x))
		}
		return out
	}
	got, want := read(pg, true), read(duck, false)
	if len(want) != 120 || !slices.Equal(got, want) {
		t.Errorf("the sample differs: %d rows on postgres %v..., %d on duckdb %v...", len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
	}
	if !slices.IsSortedFunc(want, func(a, b string) int {
		x, _ := strconv.Atoi(strings.Fields(a)[0])
		y, _ := strconv.Atoi(strings.Fields(b)[0])
		return x - y
	}) {
		t.Errorf("the sample is not read in entity order")
	}
}
