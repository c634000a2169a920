package pgflagship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods/clv"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// The flagship's value_clv segmentation (BG/NBD and Gamma-Gamma in value tiers, with the holdout check)
// on both engines: retail.yaml on DuckDB and retail_postgres.yaml on PostgreSQL (one server, and the
// coordinator whose orders are postgres_fdw partitions on two shards), each cut to the orders source and
// value_clv, run at two dates publishing into a DuckDB store and a store in a PostgreSQL schema. The
// summaries (the fits' parameters and log-likelihoods, the tiers' bounds, the holdout buckets, the
// predictions' means, the segment table) are equal, not close: the engine computes the same summaries,
// and the same Go fits them. So are both versions' memberships and the change log.
func TestCLVEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	duckRes := runCLV(t, writeCLVSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), nil), asOfs[:2])
	if rep := duckRes[0].Segmentations[0].CLV; rep == nil || rep.Holdout == nil || rep.Repeat == 0 || len(rep.Tiers) != 4 {
		t.Fatalf("DuckDB's value_clv report has no fit, holdout or tiers to compare: %+v", rep)
	}
	duckRows := enginetest.DuckStoreRows(t, filepath.Join(dir, "segrun.duckdb"))
	if len(duckRows) < *customers {
		t.Fatalf("only %d rows read from the DuckDB store", len(duckRows))
	}
	const storeSchema = "pgflagship_clv_store"
	for i, target := range []struct{ name, dsn string }{{"one server", plain.DSN}, {"the sharded coordinator", sharded.Coordinator.DSN}} {
		conn, err := pgx.Connect(ctx, target.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE") })
		env := fmt.Sprintf("SEGRUN_TEST_PGFLAGSHIP_CLV_%d", i)
		t.Setenv(env, target.dsn)
		pgRes := runCLV(t, writeCLVSpec(t, PostgresSpec, filepath.Join(dir, fmt.Sprintf("pg%d.yaml", i)), func(root *yaml.Node) {
			setKey(root, "engine", node(t, `{postgres: {dsn_env: `+env+`}}`))
			setKey(root, "store", node(t, "postgres:"+storeSchema))
		}), asOfs[:2])
		for v := range duckRes {
			if got, want := summaryJSON(t, pgRes[v].Segmentations[0]), summaryJSON(t, duckRes[v].Segmentations[0]); got != want {
				t.Errorf("%s, version %d: the value_clv summary differs from DuckDB's\npostgres %s\nduckdb   %s", target.name, v+1, got, want)
			}
		}
		if pgRows := enginetest.PGStoreRows(t, conn, storeSchema); !slices.Equal(duckRows, pgRows) {
			t.Errorf("%s: the stores differ: %s", target.name, firstDifference(duckRows, pgRows))
		}
	}
}

// The comparison above catches an engine that computes the summaries differently (mistakes the engine's
// SQL invites: a day boundary an hour off, as a time zone would move it; an amount a cent off, as a
// rounding to the column's scale before summing would make it), each given to the PostgreSQL run as a
// view of the orders with the mistake in it, at the first date on one server.
func TestCLVComparisonCatchesMistakes(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	asOf := asOfs[:1]
	want := summaryJSON(t, runCLV(t, writeCLVSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), nil), asOf)[0].Segmentations[0])
	conn, err := pgx.Connect(ctx, plain.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	t.Setenv("SEGRUN_TEST_PGFLAGSHIP_CLV", plain.DSN)
	for _, m := range []struct{ name, view string }{
		{"unchanged", "SELECT * FROM public.orders"},
		{"every order an hour later", "SELECT customer_id, order_id, ordered_at + interval '1 hour' AS ordered_at, amount FROM public.orders"},
		{"one customer's orders a cent more", "SELECT customer_id, order_id, ordered_at, CAST(amount + CASE WHEN customer_id = 7 AND amount > 0 THEN 0.01 ELSE 0 END AS numeric(12,2)) AS amount FROM public.orders"},
	} {
		t.Run(m.name, func(t *testing.T) {
			if _, err := conn.Exec(ctx, "CREATE OR REPLACE VIEW public.orders_clv_mutated AS "+m.view); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Exec(context.Background(), "DROP VIEW IF EXISTS public.orders_clv_mutated") })
			spec := writeCLVSpec(t, PostgresSpec, filepath.Join(dir, "pg.yaml"), func(root *yaml.Node) {
				setKey(root, "engine", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGFLAGSHIP_CLV}}`))
				setKey(getKey(t, getKey(t, root, "sources"), "orders"), "table", node(t, "public.orders_clv_mutated"))
			})
			got := summaryJSON(t, runCLV(t, spec, asOf)[0].Segmentations[0])
			if m.name == "unchanged" {
				if got != want {
					t.Fatalf("the unchanged orders differ from DuckDB's\npostgres %s\nduckdb   %s", got, want)
				}
				return
			}
			if got == want {
				t.Fatalf("orders changed (%s) still compare equal", m.name)
			}
		})
	}
}

// writeCLVSpec writes the example spec cut to the orders source and the value_clv segmentation.
func writeCLVSpec(t *testing.T, example, path string, edit func(*yaml.Node)) string {
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
	for _, k := range []string{"features", "models", "kpis", "audiences", "outcomes", "priority_lists", "destinations", "exports"} {
		deleteKey(root, k)
	}
	sources := getKey(t, root, "sources")
	deleteKey(sources, "customers")
	deleteKey(sources, "campaign_orders")
	segs := getKey(t, root, "segmentations")
	clv := getKey(t, segs, "value_clv")
	segs.Content = nil
	setKey(segs, "value_clv", clv)
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

// runCLV runs a spec of writeCLVSpec at each date.
func runCLV(t *testing.T, path string, dates []string) []*runner.Result {
	t.Helper()
	var out []*runner.Result
	for _, asOf := range dates {
		res := runAt(t, path, asOf)
		if len(res.Segmentations) != 1 {
			t.Fatalf("%s as of %s: %d segmentations (%s); want value_clv", filepath.Base(path), asOf, len(res.Segmentations), res.Message)
		}
		if rep := res.Segmentations[0].CLV; rep != nil {
			cal := 0
			if rep.Holdout != nil {
				cal = rep.Holdout.BGNBD.Customers
			}
			t.Logf("%s as of %s: %s in %.2fs (value_clv %.2fs); %d customers summarised, %d in the calibration period", filepath.Base(path), asOf, res.Outcome, res.Seconds, stepSeconds(res, "value_clv"), rep.Customers, cal)
		}
		out = append(out, res)
	}
	return out
}

// Where value_clv's statements run on the sharded coordinator, from EXPLAIN (ANALYZE, VERBOSE): the
// input's counts per customer run on the shards (one row per customer comes back); the summary's
// purchase filters run on the shards, one statement per shard; the purchase days and the per-customer
// summary over them run on the coordinator (partitionwise aggregation stops at the CTE's GROUP BY, and the
// planner finds aggregating the days on the shards first saves too little), so at most the filtered orders
// cross from the shards to the coordinator, never to segrun (docs/engines.md, "CLV on an engine").
func TestWhereTheCLVSummaryRuns(t *testing.T) {
	conn := coordinatorConn(t)
	ctx := context.Background()
	var sp struct {
		Entity        string                       `yaml:"entity"`
		Segmentations map[string]spec.Segmentation `yaml:"segmentations"`
	}
	src, err := examples.Pipelines.ReadFile(PostgresSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(src, &sp); err != nil {
		t.Fatal(err)
	}
	asOf, _ := time.Parse(time.DateOnly, asOfs[len(asOfs)-1])
	counts, q, err := clv.EngineSQL(sp.Segmentations["value_clv"], []sql.Column{{Name: "customer_id", Type: "BIGINT"}, {Name: "amount", Type: "DECIMAL(12,2)"}}, sp.Entity, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if scans := explain(t, conn, counts, false).ForeignScans(); len(scans) != 2 {
		t.Errorf("the counts: %d Foreign Scans, want one per shard", len(scans))
	} else {
		for _, s := range scans {
			if !strings.HasPrefix(s.Relations, "Aggregate on") || !strings.Contains(s.RemoteSQL, "GROUP BY") {
				t.Errorf("the counts are not aggregated per customer on the shard: %s: %s", s.Relations, s.RemoteSQL)
			}
		}
	}
	plan := explain(t, conn, q, true)
	scans := plan.ForeignScans()
	aggregated := 0
	for _, s := range scans {
		if !strings.Contains(s.RemoteSQL, "ordered_at < '") || !strings.Contains(s.RemoteSQL, "amount >= 0") {
			t.Errorf("a shard's statement does not filter the purchases: %s", s.RemoteSQL)
		}
		if strings.HasPrefix(s.Relations, "Aggregate on") && strings.Contains(s.RemoteSQL, "GROUP BY") {
			aggregated++
		}
		t.Logf("%s: %s", s.Relations, s.RemoteSQL)
	}
	t.Logf("%d of %d shards' statements aggregate the purchase days", aggregated, len(scans))
	if len(scans) != 2 {
		t.Errorf("%d Foreign Scans, want one per shard", len(scans))
	}
	var orders, customers int64
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT customer_id) FROM public.orders").Scan(&orders, &customers); err != nil {
		t.Fatal(err)
	}
	rows := plan.RowsFromShards()
	t.Logf("%.0f rows (filtered orders, or purchase days) came from the shards for %d customers' summaries; the orders have %d rows", rows, customers, orders)
	if rows > float64(orders) || rows < float64(customers)/2 {
		t.Errorf("%.0f rows came from the shards: not the purchases or purchase days of %d orders", rows, orders)
	}
}

// A transactions segmentation's entity count (runner.EntityCountSQL) groups by customer on the shards,
// a row per customer coming back, and counts what count(DISTINCT) counts: over the partitioned table,
// count(DISTINCT customer_id) cannot be split between shards, so every order's customer came to the
// coordinator (101M rows at 10M customers, BENCHMARKS.md).
func TestEntityCountRunsOnTheShards(t *testing.T) {
	conn := coordinatorConn(t)
	ctx := context.Background()
	q := runner.EntityCountSQL("customer_id", "orders", true)
	plan := explain(t, conn, q, true)
	scans := plan.ForeignScans()
	if len(scans) != 2 {
		t.Errorf("%d Foreign Scans, want one per shard", len(scans))
	}
	for _, s := range scans {
		if !strings.HasPrefix(s.Relations, "Aggregate on") || !strings.Contains(s.RemoteSQL, "GROUP BY") {
			t.Errorf("a shard does not group by customer: %s: %s", s.Relations, s.RemoteSQL)
		}
	}
	var entities, nulls, distinct int64
	if err := conn.QueryRow(ctx, q).Scan(&entities, &nulls); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count(DISTINCT customer_id) FROM orders").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if entities != distinct || nulls != 0 || entities == 0 {
		t.Errorf("EntityCountSQL counts %d customers and %d rows without one; count(DISTINCT) %d", entities, nulls, distinct)
	}
	if rows := plan.RowsFromShards(); rows != float64(distinct) {
		t.Errorf("%.0f rows came from the shards, want one per customer (%d)", rows, distinct)
	}
	// Rows without a customer are counted, not taken for one more customer.
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE segrun_nulls AS SELECT * FROM (VALUES (1), (1), (NULL), (2), (NULL)) v(customer_id)"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, runner.EntityCountSQL("customer_id", "segrun_nulls", true)).Scan(&entities, &nulls); err != nil {
		t.Fatal(err)
	}
	if entities != 2 || nulls != 2 {
		t.Errorf("over 1, 1, NULL, 2, NULL: %d customers and %d rows without one, want 2 and 2", entities, nulls)
	}
}

// stepSeconds is how long a step of the run took.
func stepSeconds(res *runner.Result, step string) float64 {
	for _, st := range res.Steps {
		if st.Step == step {
			return st.Seconds
		}
	}
	return 0
}

// A clv segmentation the data cannot fit fails the run on engine postgres as on DuckDB (exit 1, naming
// the segmentation and why), publishes nothing into the store's schema, and leaves no table of its own
// behind: as of a date before every order, there is no purchase to summarise.
func TestCLVWithoutPurchasesFailsOnPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	dir := t.TempDir()
	conn, err := pgx.Connect(ctx, plain.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const storeSchema = "pgflagship_clv_failed"
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE") })
	t.Setenv("SEGRUN_TEST_PGFLAGSHIP_CLV_FAIL", plain.DSN)
	spec := writeCLVSpec(t, PostgresSpec, filepath.Join(dir, "pg.yaml"), func(root *yaml.Node) {
		setKey(root, "engine", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGFLAGSHIP_CLV_FAIL}}`))
		setKey(root, "store", node(t, "postgres:"+storeSchema))
	})
	schemas := func() (n int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'segrun_run_%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := schemas()
	at, _ := time.Parse(time.DateOnly, "2000-01-01")
	_, err = runner.Run(ctx, spec, runner.RunOptions{AsOf: at})
	var f *runner.Failure
	if !errors.As(err, &f) || !strings.Contains(err.Error(), "value_clv") || !strings.Contains(err.Error(), "no purchase") {
		t.Fatalf("got %v (%T), want a failure of value_clv saying there is no purchase", err, err)
	}
	var versions int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+storeSchema+".segmentation_versions").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if left := schemas() - before; versions != 0 || left != 0 {
		t.Errorf("%d versions published, %d run schemas left", versions, left)
	}
}
