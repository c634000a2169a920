package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
)

// A table source's checks on engine postgres (EXISTS subqueries since they were tuned, loadTableSource):
// a NULL in a not_null column fails the run naming the column, the table and how many rows have it, even
// when it is the table's last row and the other not_null columns have none; an empty table fails unless
// allow_empty; a table without either runs and reports its exact row count, here of a table partitioned
// in two (counted partition by partition, sourceCountSQL, which shards answer themselves).
func TestTableSourceChecksOnPostgres(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS pgspeed_src CASCADE; CREATE SCHEMA pgspeed_src;
		CREATE TABLE pgspeed_src.customers (customer_id bigint, amount numeric(12,2), country text) PARTITION BY RANGE (customer_id);
		CREATE TABLE pgspeed_src.customers_low PARTITION OF pgspeed_src.customers FOR VALUES FROM (MINVALUE) TO (2000);
		CREATE TABLE pgspeed_src.customers_high PARTITION OF pgspeed_src.customers FOR VALUES FROM (2000) TO (MAXVALUE);
		INSERT INTO pgspeed_src.customers SELECT i, i, 'DE' FROM generate_series(1, 5000) i`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS pgspeed_src CASCADE") })
	t.Setenv("SEGRUN_TEST_PGSPEED_SRC", srv.DSN)
	dir := t.TempDir()
	write := func(allowEmpty string) string {
		path := filepath.Join(dir, "spec.yaml")
		text := `version: 1
name: shop
entity: customer_id
engine: {postgres: {dsn_env: SEGRUN_TEST_PGSPEED_SRC}}
sources:
  customers:
    table: pgspeed_src.customers` + allowEmpty + `
    columns:
      customer_id: {type: BIGINT, not_null: true}
      amount: {type: "DECIMAL(12,2)", not_null: true}
      country: {type: VARCHAR}
features:
  f:
    sql: SELECT customer_id, amount FROM customers
`
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := func(allowEmpty string) (*Result, error) {
		return Run(ctx, write(allowEmpty), RunOptions{})
	}
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	res, err := run("")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Steps[0]; got.Step != "customers" || got.Rows != 5000 {
		t.Errorf("the source's step reports %s with %d rows, want customers with 5000", got.Step, got.Rows)
	}

	exec("INSERT INTO pgspeed_src.customers VALUES (5001, NULL, NULL), (5002, NULL, 'FR')")
	_, err = run("")
	var f *Failure
	if !errors.As(err, &f) || f.Step != "source customers" || !strings.Contains(f.Msg, "column amount is declared not_null, but 2 rows of table pgspeed_src.customers have NULL in it") {
		t.Errorf("a NULL in a not_null column: %v, want a failure of source customers naming amount and 2 rows", err)
	}

	exec("TRUNCATE pgspeed_src.customers")
	_, err = run("")
	if !errors.As(err, &f) || !strings.Contains(f.Msg, "has no rows") {
		t.Errorf("an empty table: %v, want a failure saying it has no rows", err)
	}
	if _, err := run("\n    allow_empty: true"); err != nil {
		t.Errorf("an empty table with allow_empty: %v", err)
	}
}
