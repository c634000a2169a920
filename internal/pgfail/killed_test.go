package pgfail

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/segrun/segrun/cli"
)

// segrunAsync runs the command line in a goroutine; the returned function waits for it.
func segrunAsync(t *testing.T, dsn string, args ...string) func() (stdout, stderr string, code int) {
	t.Helper()
	type result struct {
		stdout, stderr string
		code           int
	}
	done := make(chan result, 1)
	t.Setenv(dsnEnv, dsn)
	go func() {
		var r result
		r.stdout, r.stderr, r.code = runCLI(args...)
		done <- r
	}()
	return func() (string, string, int) {
		r := <-done
		return r.stdout, r.stderr, r.code
	}
}

// The server ends the run's connection while a feature runs (pg_terminate_backend from another session,
// as a DBA or a failover would): exit 3, naming the feature and saying nothing was published, and the run
// schema, which the dead session can no longer drop, is dropped all the same before segrun exits.
func TestConnectionKilledDuringFeature(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_killfeature")
	before := snapshot(t, conn, "fail_killfeature")
	spec := writeSpec(t, "slow.yaml", specText(goodColumns, "sum(amount) AS monetary, pg_sleep(30)::text AS slept"))
	wait := segrunAsync(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, spec)
	pid := backendWhere(t, conn, "state = 'active' AND query LIKE 'CREATE UNLOGGED TABLE%pg_sleep(30)%'")
	if _, err := conn.Exec(context.Background(), "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := wait()
	expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, "feature spend", "terminating connection due to administrator command",
		"nothing was published")
	sameStore(t, conn, "fail_killfeature", before)
	noRunSchemaLeft(t, conn)
}

// The server ends the store's connection between two writes of the publishing transaction: another
// session holds a lock on the store's segments table, so the run waits at its INSERT there, after it has
// written the run's row and the memberships' intervals, and is killed there. Exit 3, naming the store and
// the segmentation being published, saying nothing was published (the transaction never committed), and
// the store byte-for-byte as before.
func TestConnectionKilledDuringPublish(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_killpublish")
	before := snapshot(t, conn, "fail_killpublish")
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE fail_killpublish.segments IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	wait := segrunAsync(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, goodSpec(t))
	watch := server(t)
	pid := backendWhere(t, watch, "wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"fail_killpublish\".segments%'")
	// What the run wrote before it waited, seen from its own transaction's locks: the runs table and the
	// intervals are written (row locks are not visible, but the relations' RowExclusiveLock is).
	var written []string
	rows, err := watch.Query(ctx, `SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE l.pid = $1 AND l.mode = 'RowExclusiveLock' AND l.granted AND c.relkind = 'r' ORDER BY 1`, pid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		written = append(written, name)
	}
	if got := strings.Join(written, " "); !strings.Contains(got, "membership_intervals") || !strings.Contains(got, "runs") {
		t.Errorf("the run was killed before it wrote to the store (tables written: %s)", got)
	}
	if _, err := watch.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := wait()
	tx.Rollback(ctx)
	expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, "publishing to "+store, "publishing value",
		"terminating connection due to administrator command", "nothing was published")
	if strings.Contains(stderr, "conn closed") {
		t.Errorf("the message reports the failed ROLLBACK of a connection that is gone:\n%s", stderr)
	}
	sameStore(t, conn, "fail_killpublish", before)
	noRunSchemaLeft(t, conn)
	// The store is usable: the same run publishes version 2.
	stdout, stderr, code = segrun(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, goodSpec(t))
	if code != cli.ExitOK || !strings.Contains(stdout, fmt.Sprintf("published version %d", 2)) {
		t.Errorf("the run after: exit %d\n%s%s", code, stdout, stderr)
	}
}

// The server ends the engine's connection (not the store's) while the store publishes: the store reads
// the run's tables from its own connection and commits, so the version is published (exit 0), and the
// run schema, which the engine's dead session cannot drop, is dropped from a new connection all the same.
func TestEngineConnectionKilledDuringPublish(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_killengine")
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE fail_killengine.segments IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	wait := segrunAsync(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, goodSpec(t))
	watch := server(t)
	publisher := backendWhere(t, watch, "wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"fail_killengine\".segments%'")
	engine := backendWhere(t, watch, fmt.Sprintf("application_name = 'segrun' AND pid <> %d AND state = 'idle'", publisher))
	if _, err := watch.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", engine); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	stdout, stderr, code := wait()
	if code != cli.ExitOK || !strings.Contains(stdout, "published version 2 to "+store) {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	noRunSchemaLeft(t, conn)
}
