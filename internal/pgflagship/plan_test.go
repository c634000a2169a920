package pgflagship

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgshards"
)

// coordinatorConn connects to the sharded coordinator, closed at the test's end; it skips when
// PostgreSQL is not installed.
func coordinatorConn(t *testing.T) *pgx.Conn {
	t.Helper()
	if sharded == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, sharded.Coordinator.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// explain is q's plan on conn, from EXPLAIN (VERBOSE), with ANALYZE when analyze is set (it runs q:
// the rows that came from the shards are then counted, not estimated).
func explain(t *testing.T, conn *pgx.Conn, q string, analyze bool) pgshards.PlanNode {
	t.Helper()
	opts := "VERBOSE, FORMAT JSON"
	if analyze {
		opts = "ANALYZE, " + opts
	}
	var out []byte
	if err := conn.QueryRow(context.Background(), "EXPLAIN ("+opts+") "+q).Scan(&out); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	plan, err := pgshards.ParsePlan(out)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
