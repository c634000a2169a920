package methods

import (
	"context"
	"log/slog"
	"runtime"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// CheckEnv is what a method's check sees of validation: the segmentation, its input's columns (typed
// against stand-in tables, no data), the run's vars, and where to report. Pointers are the spec's JSON
// pointers; Pointer() is the segmentation's own.
type CheckEnv interface {
	Pointer() string
	Segmentation() spec.Segmentation
	// Entity is the spec's entity column.
	Entity() string
	Input() []sql.Column
	Vars() []rules.Var
	// ErrorAt adds an error at a pointer; ErrorAtScalar at a line and column inside the scalar there
	// (a rule's expression), counted from 1.
	ErrorAt(at, code, msg, suggestion string)
	ErrorAtScalar(at string, line, col int, code, msg, suggestion string)
	// IsBroken says whether the spec's own checks (its schema among them) already found an error at a
	// pointer or what contains it, BrokenWithin also under it: checking it again would report the same
	// mistake twice. Exists says whether the spec has a value there.
	IsBroken(at string) bool
	BrokenWithin(at string) bool
	Exists(at string) bool
}

// Env is what a method's run sees of the execution: its input and the workspace to write its result in,
// the previous version's memberships and model, the run's settings, and the job's report, version and
// model to fill.
type Env interface {
	// Name is the segmentation's, and the name of the table to write its result to.
	Name() string
	Segmentation() spec.Segmentation
	Entity() string
	// Input is the columns of the segmentation's input table (Segmentation().From).
	Input() []sql.Column
	Vars() []rules.Var
	// Threads is the run's --threads: how many goroutines a method may use, 0 for as many as the machine
	// has (Workers resolves it).
	Threads() int
	Log() *slog.Logger
	// WithArrow reads the input and writes the result as Arrow record batches (sql.Arrow), on the
	// workspace's connection; Exec runs a statement there (dropping a method's own temporary table).
	WithArrow(ctx context.Context, fn func(a *sql.Arrow) error) error
	Exec(ctx context.Context, query string) error
	// BaseRun is the published version this run is compared against (0: none). Its memberships are the
	// store's memberships as of it (store.MembershipsAsOf).
	BaseRun() int64
	// PreviousModel is the model the base version stored for this segmentation (null when it stored none
	// or has no version of it) and how many entities that version assigned a segment.
	PreviousModel(ctx context.Context) (store.Model, int64, error)
	// Report, Version and SetModel are the job's: what the run summary shows, what publishing records (a
	// method fills in its segments and descriptions, Staged when it staged its change log), and what is
	// stored with the version for later runs (nil: nothing).
	Report() *Report
	Version() *store.Version
	SetModel(m any)
	// StagesChangeLog says whether a method may stage its version's change log itself; when false it
	// leaves every diff to the store (tests compare the two).
	StagesChangeLog() bool
	// Fail is a failure of the data or spec in this segmentation (the run exits 1), naming the step.
	Fail(msg string, details ...string) error
	// KPI is a KPI the spec declares (a cluster search's objective: {kpi: NAME} reads it).
	KPI(name string) (spec.KPI, bool)
}

// Workers is how many goroutines threads (Env.Threads) allows.
func Workers(threads int) int {
	if threads > 0 {
		return threads
	}
	return runtime.GOMAXPROCS(0)
}
