package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// An export that fails after the version is published leaves the version published, the other exports
// written, and says so; a retry with the same run key writes only what the version lacks, and a retry
// after that has nothing to do.
func TestFailedExportIsCompletedByARetryWithTheRunKey(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	// A directory where the first export's file goes: the rename into place fails.
	f.write("out/lifecycle.csv/blocker", "x")
	key := func(o *RunOptions) { o.RunKey = "2024-03-01" }
	res, err := f.run("2024-03-01", key)
	var ee *ExportsError
	if !errors.As(err, &ee) {
		t.Fatalf("run: %v, want an ExportsError", err)
	}
	if ee.Run != 1 || res.RunID != 1 || res.Outcome != OutcomePublished || len(ee.Failed) != 1 || !strings.HasSuffix(ee.Failed[0].Path, "lifecycle.csv") {
		t.Fatalf("run %d (result %d, %s), failed %+v", ee.Run, res.RunID, res.Outcome, ee.Failed)
	}
	for _, want := range []string{"version 1 is published", "--run-key 2024-03-01", "segrun export lifecycle --store "} {
		if !strings.Contains(ee.Error(), want) {
			t.Errorf("message lacks %q:\n%s", want, ee.Error())
		}
	}
	if !strings.Contains(f.read("out/changes.jsonl"), `"event":"entered"`) {
		t.Errorf("the export after the failed one was not written")
	}
	expectRows(t, "published", f.query(`SELECT run_id, status FROM segrun_store.runs`), `1 "published"`)

	if err := os.RemoveAll(filepath.Join(f.dir, "out/lifecycle.csv")); err != nil {
		t.Fatal(err)
	}
	// A dry run writes nothing.
	if res := f.mustRun("2024-03-01", func(o *RunOptions) { key(o); o.DryRun = true }); len(res.Exports) != 0 {
		t.Errorf("a dry run wrote %v", res.Exports)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "out/lifecycle.csv")); err == nil {
		t.Error("a dry run wrote the missing export")
	}
	res = f.mustRun("2024-03-01", key)
	if res.Outcome != OutcomeUnchanged || !strings.Contains(res.Message, "writing the exports it lacks: out/lifecycle.csv") || len(res.Exports) != 1 {
		t.Fatalf("retry: %s: %s, exports %v", res.Outcome, res.Message, res.Exports)
	}
	if !strings.HasPrefix(f.read("out/lifecycle.csv"), "customer_id,segment\n") {
		t.Errorf("the retry did not write the missing export")
	}
	expectRows(t, "versions", f.query(`SELECT count(*) FROM segrun_store.runs`), "1")
	res = f.mustRun("2024-03-01", key)
	if !strings.Contains(res.Message, "nothing to do") || len(res.Exports) != 0 {
		t.Errorf("second retry: %s, exports %v", res.Message, res.Exports)
	}
}

// An interrupt after the version is committed, while the exports are written, does not claim that nothing
// was published.
func TestInterruptDuringExportsSaysTheVersionIsPublished(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, f.spec, RunOptions{AsOf: date("2024-03-01"), RunKey: "k", Version: "test", Hooks: RunHooks{BeforeExports: cancel}})
	var ee *ExportsError
	if !errors.As(err, &ee) || !ee.Interrupted || len(ee.Failed) != 2 || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted exports: %v", err)
	}
	if !strings.Contains(err.Error(), "version 1 is published, but 2 of its exports were interrupted") {
		t.Errorf("message: %s", err)
	}
	res := f.mustRun("2024-03-01", func(o *RunOptions) { o.RunKey = "k" })
	if len(res.Exports) != 2 {
		t.Errorf("the retry wrote %v", res.Exports)
	}
}

// A temporary file left by a killed export (kill -9 between writing and renaming) is removed by the next
// export to the same file; one of a live process is not.
func TestStaleExportTempFilesAreRemoved(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	target := filepath.Join(f.dir, "out", "lifecycle.csv")
	stale, live := tempName(target, dead.Process.Pid), tempName(target, os.Getppid())
	f.write("out/"+filepath.Base(stale), "")
	f.write("out/"+filepath.Base(live), "")
	f.mustRun("2024-03-01", nil)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the temporary file of dead process %d is still there (%v)", dead.Process.Pid, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the temporary file of live process %s was removed: %v", strconv.Itoa(os.Getppid()), err)
	}
}

// A retry completes the exports of the latest version only: an earlier version's would overwrite the
// files of the versions after it. After a rollback, the version latest again rewrites the files the
// rolled-back one had written.
func TestRetryCompletesOnlyTheLatestVersionsExports(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.write("out/lifecycle.csv/blocker", "x")
	if _, err := f.run("2024-03-01", func(o *RunOptions) { o.RunKey = "a" }); err == nil {
		t.Fatal("the blocked export did not fail")
	}
	os.RemoveAll(filepath.Join(f.dir, "out/lifecycle.csv"))
	f.mustRun("2024-06-01", func(o *RunOptions) { o.RunKey = "b" })
	second := f.read("out/lifecycle.csv")
	if res := f.mustRun("2024-03-01", func(o *RunOptions) { o.RunKey = "a" }); len(res.Exports) != 0 || !strings.Contains(res.Message, "nothing to do") {
		t.Errorf("retry of version 1 after version 2: %s, wrote %v", res.Message, res.Exports)
	}
	if f.read("out/lifecycle.csv") != second {
		t.Error("version 2's export was overwritten")
	}

	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Attach(ctx, db, filepath.Join(f.dir, "segrun.duckdb"), store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RollBack(ctx, 1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	res := f.mustRun("2024-03-01", func(o *RunOptions) { o.RunKey = "a" })
	if len(res.Exports) != 2 {
		t.Errorf("after rolling back version 2, the retry of version 1 wrote %v, want both exports", res.Exports)
	}
	if f.read("out/lifecycle.csv") == second {
		t.Error("the file still holds the rolled-back version's memberships")
	}
}

// A retry with a published run key after the spec renamed a segmentation wanted the new name's export,
// which the version cannot have: every retry failed with exit 4. It completes the exports the version can
// have, says plainly why the others are not written, and succeeds.
func TestRetryAfterARenameWritesOnlyWhatTheVersionHas(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	key := func(o *RunOptions) { o.RunKey = "2024-03-01" }
	f.mustRun("2024-03-01", key)
	if err := os.Remove(filepath.Join(f.dir, "out/lifecycle.csv")); err != nil {
		t.Fatal(err)
	}
	f.write("shop.yaml", strings.NewReplacer("  tags:\n", "  labels:\n",
		"exports:\n", "exports:\n  - {segmentation: labels, path: out/labels.csv}\n").Replace(fixtureSpec))
	res, err := f.run("2024-03-01", key)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.Outcome != OutcomeUnchanged || len(res.Exports) != 1 || !strings.HasSuffix(res.Exports[0], "lifecycle.csv") {
		t.Errorf("retry: %s, exports %v", res.Outcome, res.Exports)
	}
	for _, want := range []string{"writing the exports it lacks: out/lifecycle.csv", "out/labels.csv", "version 1 has no segmentation labels", "--force"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message lacks %q: %s", want, res.Message)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "out/labels.csv")); err == nil {
		t.Error("an export of a segmentation the version lacks was written")
	}
}

// An interrupt while DuckDB writes an export came back as DuckDB's "INTERRUPT Error: Interrupted!", a
// line that said nothing to act on; the export is reported as not written, interrupted, like the ones
// after it.
func TestInterruptWhileWritingAnExportSaysSo(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Run(ctx, f.spec, RunOptions{AsOf: date("2024-03-01"), Version: "test", Hooks: RunHooks{BeforeExport: func(string) { cancel() }}})
	var ee *ExportsError
	if !errors.As(err, &ee) || !ee.Interrupted || len(ee.Failed) != 2 {
		t.Fatalf("interrupted exports: %v", err)
	}
	for _, fl := range ee.Failed {
		if fl.Error != "not written: interrupted" {
			t.Errorf("%s: %q, want \"not written: interrupted\"", fl.Path, fl.Error)
		}
	}
}
