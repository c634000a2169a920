package pgfail

import (
	"context"
	"testing"
	"time"

	"github.com/segrun/segrun/cli"
	"github.com/segrun/segrun/sql/store"
)

// Another run holds the store (its writer's advisory lock): a run waits up to --wait, then stops with
// exit 3 naming the holder and how long it waited; the store untouched.
func TestStoreHeldByAnotherWriter(t *testing.T) {
	conn := server(t)
	where := published(t, conn, "fail_held")
	before := snapshot(t, conn, "fail_held")
	ctx := context.Background()
	holder, err := store.OpenPostgres(ctx, srv.DSN, "fail_held", store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	stdout, stderr, code := segrun(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", where, "--wait", "300ms", goodSpec(t))
	expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, "store postgres:fail_held", "held by another segrun run (PostgreSQL backend PID",
		"waited 300ms", "nothing was published")
	stdout, stderr, code = segrun(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", where, goodSpec(t))
	expect(t, "run without --wait", code, stdout, stderr, cli.ExitEnvironment, "held by another segrun run", "pass --wait")
	holder.Close()
	sameStore(t, conn, "fail_held", before)
	noRunSchemaLeft(t, conn)
}

// The server's lock_timeout (set by the connection string's options, or the role) cuts a statement that
// waits for a lock another session holds: on the store's table while publishing, on a source table while
// validating. A lock held elsewhere is the environment's: exit 3, naming the step, the store untouched.
func TestLockTimeout(t *testing.T) {
	conn := server(t)
	where := published(t, conn, "fail_locktimeout")
	before := snapshot(t, conn, "fail_locktimeout")
	impatient := withOptions(t, "-c lock_timeout=200ms")
	ctx := context.Background()
	hold := func(table string) func() {
		t.Helper()
		locker := server(t)
		tx, err := locker.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return func() { tx.Rollback(ctx) }
	}

	release := hold("fail_locktimeout.segments")
	stdout, stderr, code := segrun(t, impatient, "run", "--as-of", "2026-03-31", "--store", where, goodSpec(t))
	release()
	expect(t, "publishing", code, stdout, stderr, cli.ExitEnvironment, "publishing to "+where, "lock timeout", "nothing was published")

	release = hold("pgfail_sales.orders")
	stdout, stderr, code = segrun(t, impatient, "validate", goodSpec(t))
	expect(t, "validate", code, stdout, stderr, cli.ExitEnvironment, "source orders", "lock timeout")
	stdout, stderr, code = segrun(t, impatient, "run", "--as-of", "2026-03-31", "--store", where, goodSpec(t))
	release()
	expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, "source orders", "lock timeout", "nothing was published")

	sameStore(t, conn, "fail_locktimeout", before)
	noRunSchemaLeft(t, conn)
}

// The server's statement_timeout cuts a feature that runs longer: exit 3 (the server's limit, not the
// spec's mistake), naming the feature, the store untouched.
func TestStatementTimeout(t *testing.T) {
	conn := server(t)
	where := published(t, conn, "fail_stmttimeout")
	before := snapshot(t, conn, "fail_stmttimeout")
	spec := writeSpec(t, "slow.yaml", specText(goodColumns, "sum(amount) AS monetary, pg_sleep(30)::text AS slept"))
	start := time.Now()
	stdout, stderr, code := segrun(t, withOptions(t, "-c statement_timeout=300ms"), "run", "--as-of", "2026-03-31", "--store", where, spec)
	expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, "feature spend", "statement timeout", "nothing was published")
	if time.Since(start) > 25*time.Second {
		t.Errorf("the run was not cut by statement_timeout")
	}
	sameStore(t, conn, "fail_stmttimeout", before)
	noRunSchemaLeft(t, conn)
}
