package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/spec"
)

// With the connection string set, validate on engine postgres types every feature on the server by
// preparing it (no row runs): its columns come back typed, a bind error is located at the spec's
// file:line:col, and a source's declared columns are checked against the table's real types. The
// validation's run schema is gone afterwards.
func TestValidatePostgresTypesOnTheServer(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS sales CASCADE; CREATE SCHEMA sales;
		CREATE TABLE sales.orders (customer_id bigint NOT NULL, amount numeric(18,2), ordered_at date);
		INSERT INTO sales.orders VALUES (1, 0, DATE '2026-01-01')`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEGRUN_TEST_PG_VALIDATE", srv.DSN)
	dir := t.TempDir()
	specFile := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(specFile, []byte(`version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: SEGRUN_TEST_PG_VALIDATE
sources:
  orders:
    table: sales.orders
    columns:
      customer_id: {type: BIGINT}
      ordered_at: {type: DATE}
  mistyped:
    table: sales.orders
    columns:
      amount: {type: DOUBLE}
  missing:
    table: sales.nope
features:
  recency:
    sql: |
      SELECT customer_id,
             (SELECT as_of FROM segrun_vars) - max(ordered_at) AS recency_days,
             sum(amount) AS monetary, count(*) AS frequency, 100 / min(amount) AS boom
      FROM orders
      GROUP BY customer_id
  typo:
    sql: |
      SELECT customer_id,
             sum(amout) AS monetary
      FROM orders GROUP BY 1
  reads:
    sql: SELECT m.customer_id FROM mistyped m JOIN missing USING (customer_id)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Validate(ctx, specFile, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(v.Columns["recency"]), "[{customer_id BIGINT} {recency_days INTEGER} {monetary NUMERIC} {frequency BIGINT} {boom NUMERIC}]"; got != want {
		t.Errorf("recency's columns\n got %s\nwant %s", got, want)
	}
	var diags []string
	for _, d := range v.Diagnostics {
		if d.Severity == spec.Error {
			diags = append(diags, fmt.Sprintf("%d:%d %s", d.Line, d.Column, d.Message))
		}
	}
	want := []string{
		`16:22 source mistyped: column amount is DECIMAL(18,2) in table sales.orders, declared DOUBLE`,
		`18:12 source missing: table sales.nope: relation "sales.nope" does not exist [SQLSTATE 42P01]`,
		`30:18 SQL: column "amout" does not exist; hint: Perhaps you meant to reference the column "orders.amount". [SQLSTATE 42703]`,
	}
	if got := strings.Join(diags, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("errors\n got %s\nwant %s", got, strings.Join(want, "\n"))
	}
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'segrun_run_%'").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d run schemas left after validation (%v)", left, err)
	}
}
