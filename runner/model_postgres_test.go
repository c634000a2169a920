package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/internal/pgtest"
)

const modelShopBody = `
features:
  profile:
    sql: SELECT customer_id, recency_days, monetary, country, loyal FROM customers
models:
  loyalty:
    from: profile
    label: loyal
    features: [recency_days, monetary, country]
    method: boosted_trees
    params: {max_iter: 10, max_leaf_nodes: 4, min_samples_leaf: 5}
    refit: never
    split: {test: 0.25, seed: 1}
segmentations:
  loyalty_deciles:
    from: loyalty
    rules:
      - {segment: top, when: "loyalty_decile <= 3"}
      - {segment: likely, when: "loyalty_class == 'true'"}
    else: rest
`

// A model with refit: never on both engines, over text entities that sort differently by bytes and by a
// language's collation (a10, B2, _x...): version 1 fits it (on PostgreSQL from the pulled rows, scored in
// SQL), version 2 scores changed data with the model version 1 stored (on PostgreSQL read from the store
// in the database, nothing pulled). Both versions' model reports, segment summaries and stores are equal,
// and version 2 says it was scored with version 1's model. It runs on TestModelScoreSQLEqualsGo's server.
func checkRefitNeverOnPostgresEqualsDuckDB(t *testing.T, srv *pgtest.Server) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const schema = "modelshop_store"
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS modelshop CASCADE; DROP SCHEMA IF EXISTS `+schema+` CASCADE; CREATE SCHEMA modelshop;
		CREATE TABLE modelshop.customers (customer_id text COLLATE "en-x-icu" NOT NULL, recency_days integer, monetary numeric(12,2), country text, loyal boolean)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS modelshop CASCADE; DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	t.Setenv("SEGRUN_TEST_PGMODELS", srv.DSN)
	dir := t.TempDir()
	duckSpec, pgSpec := filepath.Join(dir, "duck.yaml"), filepath.Join(dir, "pg.yaml")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(duckSpec, `version: 1
name: modelshop
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: VARCHAR}
      recency_days: {type: INTEGER}
      monetary: {type: "DECIMAL(12,2)"}
      country: {type: VARCHAR}
      loyal: {type: BOOLEAN}
`+modelShopBody)
	write(pgSpec, `version: 1
name: modelshop
entity: customer_id
engine: {postgres: {dsn_env: SEGRUN_TEST_PGMODELS}}
store: postgres:`+schema+`
sources:
  customers:
    table: modelshop.customers
`+modelShopBody)
	var results [2][]*Result
	for version, asOf := range []string{"2026-01-01", "2026-02-01"} {
		r := rand.New(rand.NewPCG(3, uint64(version)))
		var csv strings.Builder
		csv.WriteString("customer_id,recency_days,monetary,country,loyal\n")
		for i := range 400 {
			rec := r.IntN(300)
			mon := fmt.Sprintf("%d.%02d", r.IntN(2000), r.IntN(100))
			country := []string{"DE", "FR", "", "NL"}[r.IntN(4)]
			loyal := rec < 120 && r.IntN(5) > 0 || r.IntN(6) == 0
			recText := fmt.Sprint(rec)
			if i%23 == 0 {
				recText = ""
			}
			fmt.Fprintf(&csv, "%c%d,%s,%s,%s,%v\n", "aB_z"[i%4], i, recText, mon, country, loyal)
		}
		write(filepath.Join(dir, "customers.csv"), csv.String())
		if _, err := conn.Exec(ctx, "TRUNCATE modelshop.customers"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv.String()), "COPY modelshop.customers FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.DateOnly, asOf)
		for i, path := range []string{duckSpec, pgSpec} {
			res, err := Run(ctx, path, RunOptions{AsOf: at})
			if err != nil {
				if res != nil && res.Validation != nil {
					t.Fatalf("%s: %v\n%v", path, err, res.Validation.Diagnostics)
				}
				t.Fatalf("%s: %v", path, err)
			}
			if res.Outcome != OutcomePublished || len(res.Models) != 1 {
				t.Fatalf("%s: outcome %s, %d models (%s)", path, res.Outcome, len(res.Models), res.Message)
			}
			results[i] = append(results[i], res)
		}
	}
	for v := range 2 {
		duck, pg := results[0][v], results[1][v]
		d, _ := json.Marshal(duck.Models[0])
		p, _ := json.Marshal(pg.Models[0])
		if string(d) != string(p) {
			t.Errorf("version %d: the model report on postgres differs from duckdb's\npostgres %s\nduckdb   %s", v+1, p, d)
		}
		if got, want := summaryJSON(t, pg.Segmentations[0]), summaryJSON(t, duck.Segmentations[0]); got != want {
			t.Errorf("version %d: the summary on postgres differs from duckdb's\npostgres %s\nduckdb   %s", v+1, got, want)
		}
	}
	if rep := results[1][1].Models[0]; rep.FittedIn != 1 {
		t.Errorf("version 2 on postgres was not scored with version 1's model: fitted_in %d", rep.FittedIn)
	}
	duckRows := enginetest.DuckStoreRows(t, filepath.Join(dir, "segrun.duckdb"))
	pgRows := enginetest.PGStoreRows(t, conn, schema)
	if len(duckRows) < 800 || !slices.Equal(duckRows, pgRows) {
		for i := range min(len(duckRows), len(pgRows)) {
			if duckRows[i] != pgRows[i] {
				t.Fatalf("stores differ (%d rows on duckdb, %d on postgres), first at %d:\nduckdb   %s\npostgres %s", len(duckRows), len(pgRows), i, duckRows[i], pgRows[i])
			}
		}
		t.Fatalf("stores differ: %d rows on duckdb, %d on postgres", len(duckRows), len(pgRows))
	}
}
