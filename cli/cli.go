// Package cli is segrun's command line: parsing arguments, running commands, printing results on stdout
// and diagnostics on stderr, and mapping outcomes to the documented exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes, frozen and documented in docs/cli.md: tools and schedulers depend on them.
const (
	// ExitOK: success (a valid spec, a published run, a no-op rerun).
	ExitOK = 0
	// ExitInvalid: the spec is invalid, or a blocking check failed (a data test, a column contract, a
	// refused run).
	ExitInvalid = 1
	// ExitUsage: the command line is wrong.
	ExitUsage = 2
	// ExitEnvironment: the environment failed (unreadable file, store locked, out of memory, a bug).
	ExitEnvironment = 3
	// ExitExports: the version is published, but some of its exports were not written (they failed, or the
	// run was interrupted while writing them); a rerun with the same run key, or segrun export, writes them.
	ExitExports = 4
)

// Version is segrun's version, recorded with every run; set at build time with -ldflags.
var Version = "dev"

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) int
}

// commands is the command table, in the order --help lists them.
var commands []command

func init() {
	// Built in init because the table refers to functions that refer back to it (help, suggestions).
	commands = []command{
		{"validate", "check specs without running them", runValidate},
		{"plan", "show a spec's steps in execution order", runPlan},
		{"run", "run a pipeline and publish a new version of its segmentations", runRun},
		{"runs", "list the published versions in a store", runRuns},
		{"show", "show a segmentation's segment sizes", runShow},
		{"changes", "show who entered and left segments in a version", runChanges},
		{"kpis", "follow KPIs per segment across versions", runKPIs},
		{"models", "show the models a version fitted: metrics and coefficients", runModels},
		{"measure", "measure an audience's lift: treatment against its holdout on an outcome", runMeasure},
		{"export", "write a version's memberships or change log to a file", runExport},
		{"deliver", "deliver an audience's version to its PostgreSQL and webhook destinations again", runDeliver},
		{"deliveries", "list the deliveries of audience versions to their destinations, with counts and status", runDeliveries},
		{"report", "write the store's segmentations as one self-contained HTML page of charts", runReport},
		{"rollback", "retire the latest version(s): the store is as it was before them", runRollback},
		{"docs", "write the definition document: every segment's definition, owner, action, size and history", runDocs},
		{"init", "write a commented starter spec and sample data", runInit},
		{"demo", "write a synthetic retail dataset and the flagship spec", runDemo},
		{"schema", "print the spec's JSON Schema", runSchema},
		{"version", "print segrun's version", runVersion},
	}
}

// env is what a command needs from the outside world.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

// errorf prints a one-line diagnostic on stderr.
func (e *env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "segrun: "+format+"\n", args...)
}

// Run runs segrun with the given arguments (without the program name) and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) (code int) {
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer func() {
		if r := recover(); r != nil {
			code = e.reportPanic(r, debug.Stack())
		}
	}()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			return Run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	if path := os.Getenv("SEGRUN_CPUPROFILE"); path != "" {
		// For developers measuring segrun itself (docs/development.md); not a user setting.
		if stop, err := startCPUProfile(path); err == nil {
			defer stop()
		}
	}
	for _, c := range commands {
		if c.name == args[0] {
			// A closed terminal (SIGHUP) stops a run like Ctrl-C: cancelled, nothing published, exit 3.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			return c.run(ctx, e, args[1:])
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if s := nearest(args[0], names); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	e.errorf("%s (run segrun --help for the list)", msg)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `segrun: declarative customer-segmentation pipelines on DuckDB

usage: segrun <command> [flags] [arguments]

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run segrun <command> --help for a command's flags.
Exit codes: 0 success, 1 invalid spec or failed check, 2 usage error, 3 environment or internal error,
4 published but exports not written.
Docs: docs/cli.md and docs/spec.md.
`)
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs := newFlags("version", "")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return fs.usageError(e, "version takes no arguments")
	}
	fmt.Fprintln(e.stdout, "segrun", Version)
	return ExitOK
}

// reportPanic reports a panic as the bug it is: one line with its value, and where the stack was written
// (a file, so that the report is whole even when stderr is a scheduler's truncated log); exit 3.
func (e *env) reportPanic(r any, stack []byte) int {
	where := "the stack could not be written"
	if f, err := os.CreateTemp("", "segrun-panic-*.txt"); err == nil {
		fmt.Fprintf(f, "segrun %s: panic: %v\n\n%s", Version, r, stack)
		f.Close()
		where = "stack in " + f.Name()
	}
	value := strings.SplitN(fmt.Sprint(r), "\n", 2)[0]
	e.errorf("internal error (a bug in segrun; please report it with the stack): panic: %s; %s", value, where)
	return ExitEnvironment
}

// exitForError maps an environment-level error to its exit code, printing it.
func (e *env) fail(err error) int {
	var ue *userError
	if errors.As(err, &ue) {
		e.errorf("%s", ue.msg)
		return ExitInvalid
	}
	e.errorf("%s", strings.TrimSpace(err.Error()))
	return ExitEnvironment
}

// userError is a problem in what the user asked for (exit 1), as opposed to the environment (exit 3).
type userError struct{ msg string }

func (u *userError) Error() string { return u.msg }

func userErrorf(format string, args ...any) error { return &userError{fmt.Sprintf(format, args...)} }
