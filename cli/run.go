package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

func runRun(ctx context.Context, e *env, args []string) int {
	fs := newFlags("run", "SPEC")
	asOf := fs.String("as-of", "", "the `DATE` the run is computed for, YYYY-MM-DD (default: today in UTC; schedulers should pass their logical date)")
	fs.check("as-of", func() error {
		if _, err := runner.ParseAsOf(*asOf); err != nil {
			return errors.New("want a date like 2024-12-31")
		}
		return nil
	})
	vars := varFlags{}
	fs.Var(vars, "var", "override a spec var: --var `NAME=VALUE` (repeatable)")
	store := fs.String("store", "", "the versioned store's `PATH` (default: the spec's store)")
	fs.check("store", func() error { return checkStorePath(*store) })
	runKey := fs.String("run-key", "", "the scheduler's run id or logical date (a `KEY`): a key already published makes the run a no-op")
	force := fs.Bool("force", false, "with --run-key: replace the version published under that key")
	dryRun := fs.Bool("dry-run", false, "compute everything and show what would change, publishing nothing")
	preview := fs.Int("preview", runner.DefaultPreviewRows, "with --dry-run: show the first `N` rows each destination would receive (0: none, -1: all)")
	fs.check("preview", func() error {
		if *preview < -1 {
			return errors.New("give a number of rows, 0 for none or -1 for all")
		}
		return nil
	})
	wait := fs.nonNegative("wait", 0, "wait this long (a `DURATION`, for example 10m) for a store another run is using")
	memory := fs.String("memory-limit", "", "DuckDB's memory limit, a `SIZE` like 4GB or 512MB (default: 80% of RAM); above it, DuckDB spills to disk")
	fs.check("memory-limit", func() error { return checkMemoryLimit(*memory) })
	threads := fs.Int("threads", 0, fmt.Sprintf("`N` threads for DuckDB and rule evaluation, 1 to %d (default: one per CPU)", MaxThreads))
	fs.check("threads", func() error { return checkThreads(*threads) })
	tempDir := fs.String("temp-dir", "", "the `DIR` DuckDB spills to when data exceeds memory (default: the system's temp directory)")
	fs.check("temp-dir", func() error { return checkDirectory(*tempDir) })
	logFormat := fs.choice("log-format", "text", []string{"text", "json"}, "log format on stderr: text or json")
	format := fs.choice("format", "text", []string{"text", "json"}, "summary on stdout: text or json")
	verbose := fs.Bool("verbose", false, "log each step's details")
	files, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(files) != 1 {
		return fs.usageError(e, "give exactly one spec")
	}
	if *force && *runKey == "" {
		return fs.usageError(e, "--force replaces the version of a --run-key; give the key")
	}
	date := time.Now().UTC().Truncate(24 * time.Hour)
	if *asOf != "" {
		date, _ = runner.ParseAsOf(*asOf) // checked with the flags
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	var handler slog.Handler = slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level})
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})
	}
	o := runner.RunOptions{AsOf: date, Vars: vars, StorePath: *store, RunKey: *runKey, Force: *force, DryRun: *dryRun, PreviewRows: *preview,
		Wait: *wait, MemoryLimit: *memory, Threads: *threads, TempDir: *tempDir, Log: slog.New(handler), Version: Version}
	if isTerminal(e.stderr) && *logFormat == "text" {
		o.Progress = e.stderr
	}
	res, err := runner.Run(ctx, files[0], o)
	// Exports that failed after the version was published: the summary still says what was published.
	var exportsErr *runner.ExportsError
	if err != nil && !errors.As(err, &exportsErr) {
		return e.runFailed(res, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return e.fail(err)
		}
	} else {
		writeRunSummary(e.stdout, res)
	}
	if exportsErr != nil {
		e.errorf("%v", exportsErr)
		return ExitExports
	}
	return ExitOK
}

// runFailed reports why a run stopped and picks the exit code: 1 for the spec or the data, 3 for the
// environment. Nothing was published in either case (a published version whose exports failed is not a
// failed run: exit 4, in runRun).
func (e *env) runFailed(res *runner.Result, err error) int {
	var f *runner.Failure
	switch {
	case errors.Is(err, runner.ErrInvalidSpec):
		(&spec.Writer{}).WriteText(e.stderr, res.Validation.Diagnostics)
		e.errorf("the spec is invalid; nothing was run")
		return invalidSpecExit(res.Validation.Diagnostics)
	case errors.As(err, &f):
		e.errorf("run failed: %v", f)
		return ExitInvalid
	case errors.Is(err, context.Canceled):
		e.errorf("interrupted; nothing was published")
		return ExitEnvironment
	case errors.Is(err, sql.ErrLocked):
		e.errorf("%v", err)
		return ExitEnvironment
	}
	e.errorf("run failed: %v", err)
	return ExitEnvironment
}

// isTerminal reports whether w is a terminal, where progress lines help; in a scheduler's log they are noise.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
