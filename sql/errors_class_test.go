package sql

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// Errors are classified by DuckDB's error type, not by the spelling of its message: DuckDB spells some
// classes in capitals ("INTERRUPT Error", "FATAL Error", "INTERNAL Error"), which a match on the text
// missed, so an interrupted statement was called the spec's fault (exit 1) instead of the machine's.
func TestErrorClassComesFromDuckDBsType(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	class := func(t *testing.T, err error) ErrorClass {
		t.Helper()
		if err == nil {
			t.Fatal("the statement did not fail")
		}
		return ParseError(err, "").Class()
	}
	t.Run("binder", func(t *testing.T) {
		if c := class(t, db.Exec(ctx, "SELECT no_such_column")); c != StatementError {
			t.Errorf("class %v, want StatementError", c)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if c := class(t, db.Exec(ctx, "SELECT * FROM read_csv('"+filepath.Join(t.TempDir(), "none.csv")+"')")); c != MissingFiles {
			t.Errorf("class %v, want MissingFiles", c)
		}
	})
	t.Run("out of memory", func(t *testing.T) {
		small, err := Open(ctx, "", Options{MemoryLimit: "8MB", Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer small.Close()
		if err := small.Exec(ctx, "SET preserve_insertion_order = true; SET temp_directory = ''"); err != nil {
			t.Fatal(err)
		}
		err = small.Exec(ctx, "CREATE TABLE t AS SELECT list(range) AS l FROM range(10000000)")
		if c := class(t, err); c != OutOfMemory {
			t.Errorf("class %v, want OutOfMemory: %v", c, err)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		err := db.Exec(cctx, "SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3")
		if err == nil {
			t.Skip("the statement finished before it was interrupted")
		}
		if !IsEngineError(err) {
			t.Skipf("the driver reported the interrupt as %T, not as DuckDB's error: %v", err, err)
		}
		if !ParseError(err, "").Environmental() {
			t.Errorf("an interrupted statement is the machine's: %v", err)
		}
	})
}
