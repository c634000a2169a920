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
	return newPG(t, sharded.Coordinator.DSN).conn
}

// explain is pgshards.Explain, failing the test on an error.
func explain(t *testing.T, conn *pgx.Conn, q string, analyze bool) pgshards.PlanNode {
	t.Helper()
	plan, err := pgshards.Explain(context.Background(), conn, q, analyze)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
