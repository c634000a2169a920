package pgfail

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/store"
)

// The store's connection is lost at the COMMIT of the publishing transaction (the server ends it right
// before): whether the server committed is unknown to the connection, so the run reads the store from a
// new one and says what it found. Here it had not: exit 3 (not a *Failure), "it had not ... nothing was
// published", the store as before.
func TestConnectionLostAtCommit(t *testing.T) {
	conn := server(t)
	where := published(t, conn, "fail_commit")
	before := snapshot(t, conn, "fail_commit")
	ctx := context.Background()
	t.Setenv(dsnEnv, srv.DSN)
	watch := server(t)
	kill := func() {
		pid := backendWhere(t, watch, "application_name = 'segrun' AND state = 'idle in transaction'")
		if _, err := watch.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", pid); err != nil {
			t.Error(err)
		}
	}
	_, err := runner.Run(ctx, goodSpec(t), runner.RunOptions{AsOf: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), StorePath: where,
		Version: "test", Hooks: runner.RunHooks{BeforeCommit: kill}})
	var f *runner.Failure
	switch {
	case err == nil:
		t.Fatal("the run succeeded with its connection killed before COMMIT")
	case errors.As(err, &f):
		t.Errorf("a lost connection is a *Failure (exit 1), want exit 3: %v", err)
	}
	for _, want := range []string{"publishing to " + where, "the connection was lost while committing version 2", "it had not (the store has no version 2): nothing was published"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	sameStore(t, conn, "fail_commit", before)
	noRunSchemaLeft(t, conn)
}

// Committed finds the run whose COMMIT was lost by its id and start, and not another writer's run that
// took the same id after.
func TestCommittedTellsTheRun(t *testing.T) {
	conn := server(t)
	published(t, conn, "fail_committed")
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, srv.DSN, "fail_committed", store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := st.RunByID(ctx, 1)
	if err != nil || r == nil {
		t.Fatalf("run 1: %v %v", r, err)
	}
	for _, tc := range []struct {
		name string
		lost store.CommitUnknownError
		want bool
	}{
		{"the run", store.CommitUnknownError{Run: 1, StartedAt: r.StartedAt}, true},
		{"another run of the same id", store.CommitUnknownError{Run: 1, StartedAt: r.StartedAt.Add(time.Millisecond)}, false},
		{"no run of that id", store.CommitUnknownError{Run: 2, StartedAt: r.StartedAt}, false},
	} {
		got, err := store.Committed(ctx, st, &tc.lost)
		if err != nil || got != tc.want {
			t.Errorf("%s: committed %v (%v), want %v", tc.name, got, err, tc.want)
		}
	}
}
