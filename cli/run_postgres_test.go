package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
)

// segrun run on engine postgres computes a pipeline of table sources and features inside the server:
// features read the source by its spec name and the run's as_of from segrun_vars, their data tests run
// there, and the run's schema is gone afterwards. A failing data test or a NULL in a not_null column is
// exit 1, an unset connection variable exit 3 naming it, a spec with segmentations a clear refusal.
func TestRunOnPostgres(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS sales CASCADE; CREATE SCHEMA sales;
		CREATE TABLE sales.orders (customer_id bigint, amount float8, ordered_at date);
		INSERT INTO sales.orders VALUES (1, 10, '2026-03-01'), (1, 30, '2026-03-20'), (2, 5, '2026-02-01'), (3, 7, '2026-05-01')`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEGRUN_TEST_PG_RUN", srv.DSN)
	dir := t.TempDir()
	write := func(name, features string) string {
		p := filepath.Join(dir, name)
		text := `version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: SEGRUN_TEST_PG_RUN
sources:
  orders:
    table: sales.orders
    columns:
      customer_id: {type: BIGINT, not_null: true}
features:
` + features
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", `  spend:
    sql: |
      SELECT customer_id, sum(amount) AS monetary,
             (SELECT as_of FROM segrun_vars) - max(ordered_at) AS recency_days
      FROM orders WHERE ordered_at <= (SELECT as_of FROM segrun_vars)
      GROUP BY customer_id
    tests:
      - unique: customer_id
      - assert: monetary > 0
      - row_count: {min: 2, max: 2}
`)
	stdout, stderr, code := run(t, "run", "--as-of", "2026-03-31", good)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"computed 2 steps on engine postgres in schema segrun_run_", "source orders: 4 rows", "feature spend: 2 rows"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'segrun_run_%'").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d run schemas left after the run (%v)", left, err)
	}

	// The data test sees as_of: on 2026-03-01 only customer 1's first order and customer 2's count.
	stdout, stderr, code = run(t, "run", "--as-of", "2026-02-15", good)
	if code != ExitInvalid || !strings.Contains(stderr, "data tests failed") || !strings.Contains(stderr, "row_count") {
		t.Errorf("a failing row_count test: exit %d\n%s%s", code, stdout, stderr)
	}

	if _, err := conn.Exec(ctx, "INSERT INTO sales.orders VALUES (NULL, 1, '2026-01-01')"); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "run", "--as-of", "2026-03-31", good)
	if code != ExitInvalid || !strings.Contains(stderr, "column customer_id is declared not_null, but 1 rows of table sales.orders have NULL in it") {
		t.Errorf("a NULL in a not_null column: exit %d\n%s", code, stderr)
	}

	t.Setenv("SEGRUN_TEST_PG_RUN", "")
	_, stderr, code = run(t, "run", "--as-of", "2026-03-31", good)
	if code != ExitEnvironment || !strings.Contains(stderr, "SEGRUN_TEST_PG_RUN is not set") {
		t.Errorf("unset connection variable: exit %d\n%s", code, stderr)
	}
	t.Setenv("SEGRUN_TEST_PG_RUN", srv.DSN)

	segmented := write("segmented.yaml", `  spend:
    sql: SELECT customer_id, sum(amount) AS monetary FROM orders GROUP BY customer_id
segmentations:
  value:
    from: spend
    rules:
      - segment: big
        when: monetary > 20
    else: small
`)
	if _, err := conn.Exec(ctx, "DELETE FROM sales.orders WHERE customer_id IS NULL"); err != nil {
		t.Fatal(err)
	}
	// Segmentations run inside the server; with no store in a schema nothing is published, and the
	// summary gives the segments' sizes counted there.
	stdout, stderr, code = run(t, "run", "--as-of", "2026-03-31", segmented)
	if code != ExitOK || !strings.Contains(stdout, "nothing was published: give the spec store: postgres:SCHEMA") ||
		!strings.Contains(stdout, "value (rules): 3 of 3 entities in a segment") {
		t.Errorf("a spec with segmentations: exit %d\n%s%s", code, stdout, stderr)
	}
	// min_size holds on the engine's counts, also when nothing is published.
	tooSmall := write("toosmall.yaml", `  spend:
    sql: SELECT customer_id, sum(amount) AS monetary FROM orders GROUP BY customer_id
segmentations:
  value:
    from: spend
    rules:
      - segment: big
        when: monetary > 20
    else: small
    min_size: {count: 2}
`)
	stdout, stderr, code = run(t, "run", "--as-of", "2026-03-31", tooSmall)
	if code != ExitInvalid || !strings.Contains(stderr, "big") {
		t.Errorf("a segment below min_size: exit %d\n%s%s", code, stdout, stderr)
	}
	// With --store postgres:SCHEMA the version is published there, and the readers find it.
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS cli_pg_store CASCADE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS cli_pg_store CASCADE") })
	stdout, stderr, code = run(t, "run", "--as-of", "2026-03-31", "--store", "postgres:cli_pg_store", segmented)
	if code != ExitOK || !strings.Contains(stdout, "published version 1 to postgres:cli_pg_store") {
		t.Fatalf("publishing into postgres:cli_pg_store: exit %d\n%s%s", code, stdout, stderr)
	}
	t.Setenv("SEGRUN_PG_DSN", srv.DSN)
	stdout, stderr, code = run(t, "show", "value", "--store", "postgres:cli_pg_store", "--format", "csv")
	if code != ExitOK || !strings.Contains(stdout, "small,2,0.666667") {
		t.Errorf("show from the PostgreSQL store: exit %d\n%s%s", code, stdout, stderr)
	}
}
