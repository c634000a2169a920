package pgflagship

import (
	"context"
	"encoding/json"
	"fmt"
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
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

// The flagship's churn model on both engines: retail.yaml on DuckDB and retail_postgres.yaml on
// PostgreSQL (one server, and the sharded coordinator), cut to the sources, the features, the churn model
// (boosted trees, trained point-in-time: the features recomputed as of as_of - 90 days, the label from
// those 90 days) and the lifecycle rules, which read churn_score, plus churn_deciles, which publishes each
// customer's decile and class of the churn model. On DuckDB the model is scored in Go; on PostgreSQL
// inside the server, as SQL. The model reports (training and test rows, metrics, importances: the same
// training rows and the same fit) and the stores (memberships and change logs of two versions: the same
// scores, to their deciles and classes, and the same lifecycle) are equal. The same comparison catches
// a deliberate mistake: the PostgreSQL spec's label window one day shorter.
func TestFlagshipChurnModelEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	runAll := func(path string, versions int) []*runner.Result {
		var out []*runner.Result
		for _, asOf := range asOfs[:versions] {
			res := runAt(t, path, asOf)
			if res.Outcome != runner.OutcomePublished || len(res.Models) != 1 || len(res.Segmentations) != 2 {
				t.Fatalf("%s as of %s: outcome %s with %d models, %d segmentations (%s)", filepath.Base(path), asOf, res.Outcome, len(res.Models), len(res.Segmentations), res.Message)
			}
			for _, d := range res.Validation.Diagnostics {
				if strings.Contains(d.Code, "leakage") {
					t.Errorf("%s: %v", filepath.Base(path), d)
				}
			}
			var steps []string
			for _, st := range res.Steps {
				if st.Kind == "model" || st.Kind == "segmentation" || st.Seconds >= 1 {
					steps = append(steps, fmt.Sprintf("%s %.2fs", st.Step, st.Seconds))
				}
			}
			t.Logf("%s as of %s: %.2fs in all; %s", filepath.Base(path), asOf, res.Seconds, strings.Join(steps, ", "))
			out = append(out, res)
		}
		return out
	}
	duckRes := runAll(writeModelsSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), nil), 2)
	duckRows := enginetest.DuckStoreRows(t, filepath.Join(dir, "segrun.duckdb"))
	if rep := duckRes[0].Models[0]; rep.TrainRows < 100 || rep.Classification == nil || rep.Scored < int64(*customers)/2 {
		t.Fatalf("the churn model on DuckDB: %d training rows, %d scored: the comparison would be empty", rep.TrainRows, rep.Scored)
	}

	const storeSchema = "pgflagship_models"
	compare := func(name string, pgRes []*runner.Result, pgRows []string) (diffs []string) {
		for v := range pgRes {
			if got, want := modelJSON(t, pgRes[v].Models[0]), modelJSON(t, duckRes[v].Models[0]); got != want {
				diffs = append(diffs, fmt.Sprintf("%s, version %d: the model report differs from duckdb's\npostgres %s\nduckdb   %s", name, v+1, got, want))
			}
			for j, d := range duckRes[v].Segmentations {
				if got, want := summaryJSON(t, pgRes[v].Segmentations[j]), summaryJSON(t, d); got != want {
					diffs = append(diffs, fmt.Sprintf("%s, version %d, %s: the summary differs from duckdb's\npostgres %s\nduckdb   %s", name, v+1, d.Name, got, want))
				}
			}
		}
		if len(pgRes) == len(duckRes) && !slices.Equal(duckRows, pgRows) {
			msg := fmt.Sprintf("%s: stores differ: %d rows on duckdb, %d on postgres", name, len(duckRows), len(pgRows))
			for k := range min(len(duckRows), len(pgRows)) {
				if duckRows[k] != pgRows[k] {
					msg += fmt.Sprintf(", first at %d:\nduckdb   %s\npostgres %s", k, duckRows[k], pgRows[k])
					break
				}
			}
			diffs = append(diffs, msg)
		}
		return diffs
	}
	for i, target := range []struct {
		name, dsn string
		mistake   bool
	}{{"one server", plain.DSN, false}, {"the sharded coordinator", sharded.Coordinator.DSN, false}, {"one server, label window of 89 days", plain.DSN, true}} {
		conn, err := pgx.Connect(ctx, target.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE") })
		env := fmt.Sprintf("SEGRUN_TEST_PGFLAGSHIP_MODELS_%d", i)
		t.Setenv(env, target.dsn)
		pgSpec := writeModelsSpec(t, PostgresSpec, filepath.Join(dir, fmt.Sprintf("pg%d.yaml", i)), func(root *yaml.Node) {
			setKey(root, "engine", node(t, `{postgres: {dsn_env: `+env+`}}`))
			setKey(root, "store", node(t, "postgres:"+storeSchema))
			if target.mistake {
				churn := getKey(t, getKey(t, root, "models"), "churn")
				setKey(churn, "label_window", node(t, `{from: orders, time: ordered_at, days: 89, sql: "count(*) filter (where amount > 0) = 0"}`))
			}
		})
		versions := 2
		if target.mistake { // the first version's report and summaries show it
			versions = 1
		}
		diffs := compare(target.name, runAll(pgSpec, versions), enginetest.PGStoreRows(t, conn, storeSchema))
		if !target.mistake { // the model is published into the PostgreSQL store as into DuckDB's (segrun models)
			diffs = append(diffs, storedModelDiffs(t, target.dsn, storeSchema, duckRes[1].Models[0])...)
		}
		switch {
		case target.mistake && len(diffs) == 0:
			t.Errorf("%s: the comparison did not catch the mistake", target.name)
		case !target.mistake:
			for _, d := range diffs {
				t.Error(d)
			}
		}
	}
}

// writeModelsSpec writes the example spec cut to its sources, features, the churn model, lifecycle and
// churn_deciles (each customer's decile and class of the churn model, as segments).
func writeModelsSpec(t *testing.T, example, path string, edit func(*yaml.Node)) string {
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
	for _, k := range []string{"kpis", "audiences", "outcomes", "priority_lists", "destinations", "exports"} {
		deleteKey(root, k)
	}
	deleteKey(getKey(t, root, "features"), "outcomes")
	deleteKey(getKey(t, root, "sources"), "campaign_orders")
	segs := getKey(t, root, "segmentations")
	for _, k := range []string{"value", "value_clv", "behaviour"} {
		deleteKey(segs, k)
	}
	deleteKey(getKey(t, segs, "lifecycle"), "audits")
	var rules []string
	for d := 1; d <= 10; d++ {
		rules = append(rules, fmt.Sprintf(`{segment: d%02d_churn, when: "churn_decile == %d && churn_class == 'true'"}`, d, d),
			fmt.Sprintf(`{segment: d%02d, when: "churn_decile == %d"}`, d, d))
	}
	setKey(segs, "churn_deciles", node(t, "{from: churn, rules: ["+strings.Join(rules, ", ")+"], else: unscored}"))
	if edit != nil {
		edit(root)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// modelJSON is what the run summary shows of a model.
func modelJSON(t *testing.T, r runner.ModelReport) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// storedModelDiffs compares the model the PostgreSQL store in schema holds for version 2 with want.
func storedModelDiffs(t *testing.T, dsn, schema string, want runner.ModelReport) []string {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, dsn, schema, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	vs, err := st.ModelVersions(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Model != "churn" || vs[0].Method != "boosted_trees" || len(vs[0].Fitted) == 0 {
		return []string{fmt.Sprintf("the PostgreSQL store holds %d models for version 2, want the churn model", len(vs))}
	}
	if got := string(vs[0].Report); got != modelJSON(t, want) {
		return []string{fmt.Sprintf("the PostgreSQL store's churn model report differs from duckdb's\npostgres %s\nduckdb   %s", got, modelJSON(t, want))}
	}
	return nil
}

// The churn model's label over its window is computed from the shards with one statement per shard,
// whatever the number of customers: the window's bounds, read from the vars table, are shipped as
// parameters, so only the window's orders (or, when the planner finds it cheaper, their per-customer
// aggregates: partitionwise aggregation) cross, and nothing is sent per customer. A correlated subquery,
// DuckDB's form, would send one remote query per customer (a parameterised scan on customer_id).
func TestChurnLabelWindowRunsOnTheShards(t *testing.T) {
	if sharded == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	src, err := examples.Pipelines.ReadFile(PostgresSpec)
	if err != nil {
		t.Fatal(err)
	}
	s, diags := spec.Parse(PostgresSpec, src)
	if s == nil || diags.HasErrors() {
		t.Fatalf("%s: %v", PostgresSpec, diags)
	}
	q, err := runner.LabelWindowSelect(s, "churn", "training")
	if err != nil {
		t.Fatal(err)
	}
	e := newPG(t, sharded.Coordinator.DSN)
	e.prepare(t, asOfs[0])
	ctx := context.Background()
	if _, err := e.conn.Exec(ctx, "CREATE TABLE "+runSchema+".training AS SELECT customer_id FROM customers"); err != nil {
		t.Fatal(err)
	}
	plan := explain(t, e.conn, q, false)
	scans := plan.ForeignScans()
	for _, sc := range scans {
		t.Logf("%s: %s", sc.Relations, sc.RemoteSQL)
		if !strings.Contains(sc.RemoteSQL, "ordered_at < $") || !strings.Contains(sc.RemoteSQL, "ordered_at >= ($") || strings.Contains(sc.RemoteSQL, "customer_id = $") {
			t.Errorf("a Foreign Scan of the label window does not ship the window's bounds, or is per customer: %s: %s", sc.Relations, sc.RemoteSQL)
		}
	}
	if len(scans) != 2 {
		t.Errorf("%d Foreign Scans, want one per shard (2)", len(scans))
	}
}
