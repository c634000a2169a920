package pgflagship

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// wholeFiles are the files the whole flagship writes: its destination (hashed emails) and its exports.
var wholeFiles = []string{"out/winback.csv", "out/lifecycle.parquet", "out/lifecycle_changes.csv"}

// The whole flagship on both engines (issue 17's differential test, uncut): retail.yaml on DuckDB and
// retail_postgres.yaml on PostgreSQL, every step as the examples have them — sources, features, the churn
// model trained point-in-time and feeding lifecycle_input, the four segmentations (value_clv included),
// KPIs, profiles, audits, the audiences (consent, holdout, the priority list) and their destination, the
// exports — run at two dates and published into a DuckDB store and a store in a PostgreSQL schema, on one
// server and on the sharded coordinator. Compared (one comparison, compareWhole): every segmentation's
// and audience's summary, the model's report (and the model the PostgreSQL store holds), the memberships
// and change logs of both versions, KPI values and stored summaries (profiles, audit results, drift bins;
// SDs within sdTolerance, churn_score's profile within DoubleTolerance), the deliveries and every file
// written, byte for byte; no run schema is left on the server.
func TestWholeFlagshipEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	duck := runWhole(t, DuckDBSpec, "", nil)
	for _, target := range []struct{ name, dsn string }{{"one server", plain.DSN}, {"the sharded coordinator", sharded.Coordinator.DSN}} {
		pg := runWhole(t, PostgresSpec, target.dsn, nil)
		// The PostgreSQL store holds the churn model beside the versions, KPIs and deliveries, with
		// DuckDB's report (what segrun models --store postgres:SCHEMA reads).
		for _, d := range append(compareWhole(t, duck, pg), storedModelDiffs(t, target.dsn, wholeSchema, duck.results[1].Models[0])...) {
			t.Errorf("%s: %s", target.name, d)
		}
		if target.name == "one server" {
			checkCompareWholeCatches(t, duck, pg)
		}
	}
}

// checkCompareWholeCatches fails the test unless compareWhole tells apart from duck each of a few
// deliberate mistakes made to a copy of pg, one of each kind it compares: a member moved, a change-log
// event lost, a model report's metric, an audience's holdout count, a KPI value off by more than the
// tolerance, a profile's mean an ulp off, a delivery's count, a byte of a file.
func checkCompareWholeCatches(t *testing.T, duck, pg wholeRun) {
	t.Helper()
	v2 := len(pg.results) - 1
	mistakes := map[string]func(w *wholeRun){
		"a member in another segment": func(w *wholeRun) {
			i := slices.IndexFunc(w.rows, func(r string) bool { return strings.HasPrefix(r, "member 2 lifecycle ") })
			w.rows[i] = strings.TrimSuffix(w.rows[i], " "+lastWord(w.rows[i])) + " nowhere"
		},
		"a change-log event lost": func(w *wholeRun) {
			i := slices.IndexFunc(w.rows, func(r string) bool { return strings.HasPrefix(r, "change 2 winback_email ") })
			w.rows = slices.Delete(w.rows, i, i+1)
		},
		"the model's test rows": func(w *wholeRun) { w.results[v2].Models[0].TestRows++ },
		"an audience's control group": func(w *wholeRun) {
			for i, s := range w.results[v2].Segmentations {
				if s.Audience != nil {
					a := *s.Audience
					a.Control++
					w.results[v2].Segmentations[i].Audience = &a
					return
				}
			}
		},
		"a KPI value off": func(w *wholeRun) { *w.facts.kpis[0].value *= 1 + 4*DoubleTolerance },
		"a profile's mean an ulp off": func(w *wholeRun) {
			r := w.facts.reports["v2 value"]
			n := r.Profiles.Population.Numbers["monetary"]
			*n.Mean = math.Nextafter(*n.Mean, math.Inf(1))
		},
		"a delivery's count": func(w *wholeRun) { w.deliveries[0] = strings.Replace(w.deliveries[0], " members ", " members 1", 1) },
		"a byte of a file":   func(w *wholeRun) { w.files[wholeFiles[1]][len(w.files[wholeFiles[1]])/2]++ },
	}
	for name, mistake := range mistakes {
		w := pg.deepCopy(t)
		mistake(&w)
		if len(compareWhole(t, duck, w)) == 0 {
			t.Errorf("compareWhole does not catch %s", name)
		}
	}
	if d := compareWhole(t, duck, pg.deepCopy(t)); len(d) > 0 {
		t.Errorf("a copy of the run differs: %v", d)
	}
}

func lastWord(s string) string { return s[strings.LastIndexByte(s, ' ')+1:] }

// deepCopy is a copy of w that a mistake can change without changing w.
func (w wholeRun) deepCopy(t *testing.T) wholeRun {
	t.Helper()
	c := wholeRun{dir: w.dir, rows: slices.Clone(w.rows), deliveries: slices.Clone(w.deliveries), files: map[string][]byte{}}
	for k, b := range w.files {
		c.files[k] = bytes.Clone(b)
	}
	for _, r := range w.results {
		var res runner.Result
		b, err := json.Marshal(r)
		if err == nil {
			err = json.Unmarshal(b, &res)
		}
		if err != nil {
			t.Fatal(err)
		}
		c.results = append(c.results, &res)
	}
	for _, k := range w.facts.kpis {
		c.facts.kpis = append(c.facts.kpis, kpiFact{key: k.key, value: clonePtr(k.value)})
	}
	b, _ := json.Marshal(w.facts.reports)
	if err := json.Unmarshal(b, &c.facts.reports); err != nil {
		t.Fatal(err)
	}
	return c
}

func clonePtr(x *float64) *float64 {
	if x == nil {
		return nil
	}
	v := *x
	return &v
}

// wholeSchema is the PostgreSQL store schema of the whole flagship's runs (made afresh by each).
const wholeSchema = "pgwhole_store"

// wholeRun is what a run of the whole flagship at two dates left: the runs' results, the store's
// memberships and change logs, KPIs and summaries, its deliveries, and the spec's directory (its files).
type wholeRun struct {
	dir        string
	results    []*runner.Result
	rows       []string
	facts      facts
	deliveries []string
	// files are the files written (wholeFiles), by name.
	files map[string][]byte
}

// runWhole writes example (edited by edit) into a fresh directory beside the data
// and runs it at the first two dates: on DuckDB with its store file when dsn is "", else on the server
// at dsn with the store in wholeSchema there.
func runWhole(t *testing.T, example, dsn string, edit func(*yaml.Node)) wholeRun {
	t.Helper()
	ctx := context.Background()
	w := wholeRun{dir: t.TempDir()}
	if err := symlinkData(w.dir); err != nil {
		t.Fatal(err)
	}
	var conn *pgx.Conn
	if dsn != "" {
		var err error
		if conn, err = pgx.Connect(ctx, dsn); err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+wholeSchema+" CASCADE"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if c, err := pgx.Connect(context.Background(), dsn); err == nil {
				c.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+wholeSchema+" CASCADE")
				c.Close(context.Background())
			}
		})
		t.Setenv("SEGRUN_TEST_PGWHOLE", dsn)
	}
	path := writeWholeSpec(t, example, filepath.Join(w.dir, "spec.yaml"), func(root *yaml.Node) {
		if dsn != "" {
			setKey(root, "engine", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGWHOLE}}`))
			setKey(root, "store", node(t, "postgres:"+wholeSchema))
		}
		if edit != nil {
			edit(root)
		}
	})
	for _, asOf := range asOfs[:2] {
		res := runAt(t, path, asOf)
		if res.Outcome != runner.OutcomePublished || len(res.Models) != 1 || len(res.Segmentations) != 4+len(actAudiences) ||
			len(res.Deliveries) != 1 || len(res.Exports) != 2 || len(res.KPIs) == 0 {
			t.Fatalf("%s as of %s: outcome %s, %d models, %d segmentations and audiences, %d deliveries, %d exports, %d KPI values (%s)",
				example, asOf, res.Outcome, len(res.Models), len(res.Segmentations), len(res.Deliveries), len(res.Exports), len(res.KPIs), res.Message)
		}
		var steps []string
		for _, st := range res.Steps {
			if st.Seconds >= 0.1 {
				steps = append(steps, fmt.Sprintf("%s %.2fs", st.Step, st.Seconds))
			}
		}
		t.Logf("%s as of %s: %.2fs in all; %s", example, asOf, res.Seconds, strings.Join(steps, ", "))
		w.results = append(w.results, res)
	}
	w.readFiles(t)
	if dsn == "" {
		storePath := filepath.Join(w.dir, "segrun.duckdb")
		w.rows = enginetest.DuckStoreRows(t, storePath)
		w.facts = readFacts(t, w.results, func(ctx context.Context) (*store.Store, func(), error) {
			db, err := sql.Open(ctx, "", sql.Options{})
			if err != nil {
				return nil, nil, err
			}
			st, err := store.Attach(ctx, db, storePath, store.ReadOnly, 0)
			if err != nil {
				db.Close()
				return nil, nil, err
			}
			return st, func() { st.Close(); db.Close() }, nil
		})
		w.deliveries = wholeDeliveries(deliveryRows(t, storePath, ""), w.dir)
		return w
	}
	if left := leftRunSchemas(t, conn); len(left) > 0 {
		t.Errorf("%s: run schemas left behind: %v", example, left)
	}
	w.rows = enginetest.PGStoreRows(t, conn, wholeSchema)
	w.facts = readFacts(t, w.results, func(ctx context.Context) (*store.Store, func(), error) {
		st, err := store.OpenPostgres(ctx, dsn, wholeSchema, store.ReadOnly, 0)
		if err != nil {
			return nil, nil, err
		}
		return st, func() { st.Close() }, nil
	})
	w.deliveries = wholeDeliveries(deliveryRowsAt(t, dsn, wholeSchema), w.dir)
	return w
}

// wholeDeliveries are a store's deliveries with the run's directory taken out of their targets.
func wholeDeliveries(rows []string, dir string) []string {
	for i := range rows {
		rows[i] = strings.ReplaceAll(rows[i], dir+"/", "DIR/")
	}
	return rows
}

// compareWhole lists how the PostgreSQL run of the whole flagship differs from the DuckDB one; nothing
// when they are equal. It also fails the test when the DuckDB run has nothing to compare of a kind.
func compareWhole(t *testing.T, duck, pg wholeRun) (diffs []string) {
	t.Helper()
	if len(duck.results) != len(pg.results) {
		return []string{fmt.Sprintf("%d versions on duckdb, %d on postgres", len(duck.results), len(pg.results))}
	}
	for v, d := range duck.results {
		p := pg.results[v]
		if d.Models[0].TrainRows < 100 || d.Models[0].Scored < int64(*customers)/2 {
			t.Fatalf("version %d: the churn model on duckdb trained on %d rows and scored %d: nothing to compare", v+1, d.Models[0].TrainRows, d.Models[0].Scored)
		}
		if got, want := modelJSON(t, p.Models[0]), modelJSON(t, d.Models[0]); got != want {
			diffs = append(diffs, fmt.Sprintf("version %d: the model report differs\npostgres %s\nduckdb   %s", v+1, got, want))
		}
		for j, s := range d.Segmentations {
			if got, want := summaryJSON(t, p.Segmentations[j]), summaryJSON(t, s); got != want {
				diffs = append(diffs, fmt.Sprintf("version %d, %s: the summary differs\npostgres %s\nduckdb   %s", v+1, s.Name, got, want))
			}
		}
	}
	for _, name := range append([]string{"lifecycle", "value", "behaviour", "value_clv"}, actAudiences...) {
		if !hasPrefix(duck.rows, "member 2 "+name+" ") {
			t.Fatalf("the duckdb store has no member of %s in version 2: nothing to compare", name)
		}
	}
	if d := firstDifference(duck.rows, pg.rows); d != "" {
		diffs = append(diffs, "memberships and change logs differ: "+d)
	}
	// churn_score is the churn model's score (lifecycle_input's column), which scoring as SQL may round
	// an ulp or a few away from Go's: its profiles are compared within DoubleTolerance.
	if err := compareFacts(duck.facts, pg.facts, "churn_score"); err != nil {
		diffs = append(diffs, "KPIs, profiles or audits differ: "+err.Error())
	}
	if len(duck.deliveries) != 2 {
		t.Fatalf("duckdb recorded %d deliveries, want 2 (winback_file, 2 versions)", len(duck.deliveries))
	}
	if d := firstDifference(duck.deliveries, pg.deliveries); d != "" {
		diffs = append(diffs, "deliveries differ: "+d)
	}
	for _, f := range wholeFiles {
		want, got := duck.files[f], pg.files[f]
		if len(want) < 100 {
			t.Fatalf("%s on duckdb: %d bytes: nothing to compare", f, len(want))
		}
		if !bytes.Equal(got, want) {
			diffs = append(diffs, fmt.Sprintf("%s differs: %d bytes on postgres, %d on duckdb\n%s", f, len(got), len(want), firstDifference(fileLines(t, want, f), fileLines(t, got, f))))
		}
	}
	return diffs
}

// readFiles reads the files the runs wrote (wholeFiles; a missing one stays nil).
func (w *wholeRun) readFiles(t *testing.T) {
	t.Helper()
	w.files = map[string][]byte{}
	for _, f := range wholeFiles {
		b, err := os.ReadFile(filepath.Join(w.dir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		w.files[f] = b
	}
}

func hasPrefix(rows []string, prefix string) bool {
	for _, r := range rows {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

// deliveryRowsAt are the deliveries of the PostgreSQL store in schema on the server at dsn.
func deliveryRowsAt(t *testing.T, dsn, schema string) []string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	return tableRows(t, conn, "(SELECT "+deliveryColumns+" AS d FROM "+pgx.Identifier{schema, "deliveries"}.Sanitize()+") d")
}

// writeWholeSpec writes the example, uncut, edited by edit.
func writeWholeSpec(t *testing.T, example, path string, edit func(*yaml.Node)) string {
	t.Helper()
	src, err := examples.Pipelines.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	edit(root)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// symlinkData links the generated data into dir as dir/data, where the specs read it.
func symlinkData(dir string) error {
	return os.Symlink(dataDir, filepath.Join(dir, "data"))
}
