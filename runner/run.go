package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/internal/shell"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// RunOptions are a run's settings, from the command line.
type RunOptions struct {
	// AsOf is the date the run is computed for; schedulers pass their logical date.
	AsOf time.Time
	Vars map[string]string
	// StorePath overrides the spec's store.
	StorePath string
	// RunKey identifies a scheduled run (a logical date or run id): a key already published makes the run
	// a no-op, unless Force, which replaces that version.
	RunKey string
	Force  bool
	// DryRun computes everything and reports what would change, publishing nothing.
	DryRun bool
	// PreviewRows is, in a dry run, how many rows each destination would receive are shown (Delivery's
	// Preview): 0 none, a negative number every row.
	PreviewRows int
	// Wait is how long to wait for a store another run holds.
	Wait time.Duration
	// MemoryLimit, Threads and TempDir bound DuckDB; above the limit it spills to TempDir.
	MemoryLimit string
	Threads     int
	TempDir     string
	// DuckDBCSV reads every CSV source with DuckDB's reader, never with segrun's plain one (plaincsv.go):
	// for tests that hold the two to the same results, and as an escape hatch (SEGRUN_CSV_READER=duckdb).
	DuckDBCSV bool
	// Progress receives a line per step (nil: quiet).
	Progress io.Writer
	Log      *slog.Logger
	// Version is segrun's version, recorded with the run.
	Version string
	// Hooks are for tests only: they stop or interrupt a run at a chosen point.
	Hooks RunHooks
}

// RunHooks are points where a test stops or interrupts a run, or switches a path off; zero ones do nothing.
type RunHooks struct {
	// BeforeCommit runs inside the publishing transaction, after every write and before COMMIT (the crash
	// tests kill the run there).
	BeforeCommit func()
	// BeforeExports runs between publishing and the exports (the interrupt tests cancel the run there).
	BeforeExports func()
	// LeaveChangeLogsToStore stops methods from staging their change logs (a clustering stages its own,
	// which saves a join): every version's diff is then the store's. The tests comparing the two set it.
	LeaveChangeLogsToStore bool
	// BeforeExport runs before each export is written, with its path (the interrupt tests cancel the run
	// there, while DuckDB writes the file).
	BeforeExport func(path string)
}

// Outcomes of a run.
const (
	OutcomePublished = "published"
	OutcomeUnchanged = "unchanged"
	OutcomeDryRun    = "dry-run"
)

// Result is what a run did, for the summary and for tools (segrun run --format json).
type Result struct {
	Pipeline string    `json:"pipeline"`
	Store    string    `json:"store"`
	Outcome  string    `json:"outcome"`
	RunID    int64     `json:"run_id,omitempty"`
	RunKey   string    `json:"run_key,omitempty"`
	AsOf     time.Time `json:"as_of"`
	// BaseRun is the version this run was compared with (0: none, the first version).
	BaseRun int64 `json:"base_run,omitempty"`
	// Replaced is the version a --force run replaced.
	Replaced      int64                `json:"replaced,omitempty"`
	Message       string               `json:"message,omitempty"`
	Steps         []StepReport         `json:"steps"`
	Segmentations []SegmentationReport `json:"segmentations"`
	// Models are the models fitted, with their test metrics (model.go).
	Models []ModelReport `json:"models,omitempty"`
	// Retired are the segmentations the version before had and the spec no longer has: their members
	// exited in this version.
	Retired []store.Retired `json:"retired,omitempty"`
	// KPIs are the spec's KPIs for each segmentation's version: per segment and for the population.
	KPIs     []store.KPIValue `json:"kpis,omitempty"`
	Warnings []string         `json:"warnings,omitempty"`
	Exports  []string         `json:"exports,omitempty"`
	// ExportsFailed are the exports not written (the run then exits 4: the version is published).
	ExportsFailed []ExportFailure `json:"exports_failed,omitempty"`
	// Deliveries are what the audiences' destinations received (a dry run: would receive).
	Deliveries []Delivery `json:"deliveries,omitempty"`
	Seconds    float64    `json:"seconds"`
	// Engine is what crossed the network on engine postgres, and the time in the server (engine_report.go).
	Engine *EngineReport `json:"engine,omitempty"`
	// Validation holds the diagnostics when the spec was invalid.
	Validation *Validation `json:"-"`
}

// StepReport is one executed step.
type StepReport struct {
	Step    string  `json:"step"`
	Kind    string  `json:"kind"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	// ReadBy names the feature that read a streamed source straight from its files; the source's parsing
	// time is then part of that feature's seconds.
	ReadBy string `json:"read_by,omitempty"`
	// Reader is the CSV reader that parsed a source's files: ReaderPlain (segrun's own, plaincsv.go) or
	// "" (DuckDB's); PlainDeclined says why the plain reader, tried, gave the files to DuckDB's. Neither is
	// serialised (the JSON result and the stored run stay as they are): they say which path ran, for tests
	// and debugging, without reading the log.
	Reader        string `json:"-"`
	PlainDeclined string `json:"-"`
}

// ReaderPlain is StepReport.Reader for a source segrun's plain CSV reader parsed.
const ReaderPlain = "plain"

// ErrInvalidSpec is returned (with Result.Validation) when the spec does not validate.
var ErrInvalidSpec = errors.New("the spec is invalid")

// execution is one run in progress.
type execution struct {
	o     RunOptions
	v     *Validation
	s     *spec.Spec
	db    sql.Workspace
	store *store.Store
	res   *Result
	log   *slog.Logger
	// base is the published version compared against; replace the version a --force run supersedes.
	base, replace *store.Run
	fingerprints  []SourceFingerprint
	segVersions   []store.Version
	// segPayloads are, for each of segVersions, what is stored with it: encoded when it is published.
	segPayloads []segPayload
	// streamed holds the sources read straight from their files whose reader has not run yet; views are
	// the workspace's views, which are dropped as views.
	streamed map[string]*sourceRead
	views    map[string]bool
	// entities counts the entities of each segmentation input that checkEntities has passed.
	entities map[string]int64
	// readers holds, per source, which CSV reader parsed it and why the plain one gave way (StepReport).
	readers map[string]StepReport
	// lacking are the exports a version already published under the run key lacks (a failed or
	// interrupted export): the rerun writes them.
	lacking []spec.Export
	// undelivered are the destinations that version lacks: a rerun without --force cannot write them (their
	// files are made from the run's workspace), so it says so and exits 4.
	undelivered []ExportFailure
	// redeliver are the tables and webhooks that version lacks: the rerun delivers them from the store.
	redeliver []Delivery
	// populations holds the population summaries profiles computed, by populationKey: segmentations of
	// one input profiling the same columns share theirs.
	populations map[string]populationSummary
	// profiled are the values the segmentation being run's profile read, kept for its drift audit
	// (profiledValues); nil once its audits have run.
	profiled *profiledValues
	// kpis are the KPI values computed, published with the versions; kpiPairs the (from, segmentation)
	// pairs computed (runKPI), kpiSegments each segmentation's segments with members.
	kpis        []store.KPIValue
	kpiPairs    map[string]bool
	kpiSegments map[string][]string
	// kpiUnique says, per KPI table, whether it has one row per entity at most.
	kpiUnique map[string]bool
}

// Run executes the pipeline at specPath and publishes a new version of every segmentation, atomically.
// It returns a *Failure for problems in the data or spec (exit 1), ErrInvalidSpec with the diagnostics in
// Result.Validation, and other errors for the environment (exit 3).
func Run(ctx context.Context, specPath string, o RunOptions) (*Result, error) {
	start := time.Now()
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	phase := func(name string, since time.Time) {
		o.Log.Debug("phase done", "phase", name, "seconds", time.Since(since).Seconds())
	}
	v, err := Validate(ctx, specPath, ValidateOptions{AsOf: o.AsOf, Vars: o.Vars})
	if err != nil {
		if v != nil && v.Spec != nil && v.Spec.IsPostgres() {
			err = postgresFailure(err) // the server out of reach, a missing grant: say what was published
		}
		return nil, err
	}
	phase("validate", start)
	return execute(ctx, v, o, start)
}

// Execute runs a validated plan and publishes its versions, as Run does after validating. It reads none
// of the spec's files again: every SQL text, source read, column type and var is the Validation's (which
// must have been made with the AsOf and Vars of o), and the version records the Plan's spec hash.
func Execute(ctx context.Context, v *Validation, o RunOptions) (*Result, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return execute(ctx, v, o, time.Now())
}

func execute(ctx context.Context, v *Validation, o RunOptions, start time.Time) (*Result, error) {
	phase := func(name string, since time.Time) {
		o.Log.Debug("phase done", "phase", name, "seconds", time.Since(since).Seconds())
	}
	res := &Result{AsOf: o.AsOf, RunKey: o.RunKey, Validation: v}
	if !v.Valid() {
		return res, ErrInvalidSpec
	}
	s := v.Spec
	res.Pipeline = s.Name
	res.Store = o.StorePath
	if res.Store == "" {
		res.Store = s.StorePath()
	}
	if s.IsPostgres() {
		return executePostgres(ctx, v, o, res, start)
	}
	tempDir, err := workspaceTempDir(o.TempDir)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tempDir)
	db, err := sql.Open(ctx, "", sql.Options{MemoryLimit: o.MemoryLimit, Threads: o.Threads, TempDir: tempDir})
	if err != nil {
		return res, err
	}
	defer db.Close()
	db.SetLogger(o.Log)
	e := newExecution(v, o, db, res)
	if err := e.attachStore(ctx); err != nil {
		return res, err
	}
	if done, err := e.decideVersion(ctx); done || err != nil {
		if err == nil {
			err = e.completePublished(ctx)
		}
		res.Seconds = time.Since(start).Seconds()
		return res, err
	}
	t := time.Now()
	err = e.execute(ctx)
	e.waitStreamed()
	if err != nil {
		return res, err
	}
	phase("execute", t)
	t = time.Now()
	if err := e.publish(ctx); err != nil {
		return res, err
	}
	phase("publish", t)
	e.planDeliveries()
	if o.DryRun && o.PreviewRows != 0 {
		if err := e.previewDeliveries(ctx); err != nil {
			return res, err
		}
	}
	if !o.DryRun {
		t = time.Now()
		if o.Hooks.BeforeExports != nil {
			o.Hooks.BeforeExports()
		}
		err := e.deliver(ctx, res.RunID, e.exports(ctx, res.RunID, s.Exports))
		phase("exports", t)
		if err != nil {
			res.Seconds = time.Since(start).Seconds()
			return res, err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// completePublished completes the version a run key already published (decideVersion said so): the
// exports it lacks are written, the tables and webhooks it lacks delivered, and the destinations a rerun
// cannot make reported (exit 4).
func (e *execution) completePublished(ctx context.Context) error {
	var err error
	if len(e.lacking) > 0 {
		err = e.exports(ctx, e.res.RunID, e.lacking)
	}
	if err == nil || errors.As(err, new(*ExportsError)) {
		err = e.redeliverExternal(ctx, e.res.RunID, err)
	}
	if err == nil || errors.As(err, new(*ExportsError)) {
		err = e.addUndelivered(e.res.RunID, err)
	}
	return err
}

// workspaceTempDir is where DuckDB spills when a run's data exceeds memory: private to the run, removed at
// its end.
// newExecution is a run of v on db (either engine) that fills res, with its bookkeeping empty.
func newExecution(v *Validation, o RunOptions, db sql.Workspace, res *Result) *execution {
	return &execution{o: o, v: v, s: v.Spec, db: db, res: res, log: o.Log, streamed: map[string]*sourceRead{}, views: map[string]bool{},
		entities: map[string]int64{}, populations: map[string]populationSummary{}, kpiPairs: map[string]bool{}, kpiSegments: map[string][]string{}, kpiUnique: map[string]bool{}}
}

func workspaceTempDir(parent string) (string, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return "", err
		}
	}
	return os.MkdirTemp(parent, "segrun-spill-")
}

func (e *execution) attachStore(ctx context.Context) error {
	path := e.res.Store
	if e.o.DryRun {
		if _, err := os.Stat(path); err != nil {
			// Nothing published yet: compare against an empty store that is never written to disk.
			path = ":memory:"
		}
	}
	mode := store.ReadWrite
	if e.o.DryRun && path != ":memory:" {
		mode = store.ReadOnly
	}
	st, err := store.Attach(ctx, e.db, path, mode, e.o.Wait)
	if err != nil {
		return err
	}
	e.store = st
	return e.checkStoreMeta(ctx)
}

// checkStoreMeta refuses a store that holds another pipeline, entity column or entity type.
func (e *execution) checkStoreMeta(ctx context.Context) error {
	st := e.store
	for _, check := range []struct{ key, want, what string }{{"pipeline", e.s.Name, "pipeline"}, {"entity", e.s.Entity, "entity column"},
		{"entity_type", e.v.EntityType, "entities typed"}} {
		got, err := st.Meta(ctx, check.key)
		if err != nil {
			return err
		}
		// A spec with no segmentation has no entity type to check (check.want ""): it publishes no memberships.
		if got != "" && check.want != "" && got != check.want {
			return failf("", "store %s holds %s %q, not %q; give this pipeline its own store (store: in the spec, or --store)",
				e.res.Store, check.what, got, check.want)
		}
	}
	return nil
}

// decideVersion settles which version this run compares with and whether it runs at all: a run key
// already published is a no-op (or, with --force, replaced), and versions never go back in time.
func (e *execution) decideVersion(ctx context.Context) (done bool, err error) {
	latest, err := e.store.LatestRun(ctx)
	if err != nil {
		return false, err
	}
	e.base = latest
	if e.o.RunKey != "" {
		prior, err := e.store.RunByKey(ctx, e.o.RunKey)
		if err != nil {
			return false, err
		}
		if prior != nil && !e.o.Force {
			e.res.Outcome, e.res.RunID = OutcomeUnchanged, prior.ID
			// Only the latest version's exports are completed: an earlier one's would overwrite the files
			// of the versions after it.
			// A dry run writes nothing (and may read a store too old to record exports).
			var absent []spec.Export
			if latest != nil && prior.ID == latest.ID && !e.o.DryRun {
				if e.lacking, absent, err = e.missingExports(ctx, prior.ID); err != nil {
					return false, err
				}
				if e.undelivered, err = e.undeliveredDestinations(ctx, prior.ID); err != nil {
					return false, err
				}
			}
			todo := "nothing to do"
			if len(e.lacking) > 0 {
				var paths []string
				for _, ex := range e.lacking {
					paths = append(paths, ex.Path)
				}
				todo = "writing the exports it lacks: " + strings.Join(paths, ", ")
			}
			if len(absent) > 0 {
				todo += "; " + absentExports(prior.ID, absent)
			}
			if len(e.redeliver) > 0 {
				if len(e.lacking) == 0 {
					todo = "delivering"
				} else {
					todo += "; delivering"
				}
				var names []string
				for _, dl := range e.redeliver {
					names = append(names, dl.Audience+" to "+dl.Destination)
				}
				todo += " what it lacks: " + strings.Join(names, ", ")
			}
			if len(e.undelivered) > 0 {
				if len(e.lacking) == 0 && len(e.redeliver) == 0 {
					todo = "its exports are in place"
				}
				todo += fmt.Sprintf("; %d of its destinations %s not delivered (below)", len(e.undelivered), plural.Form(int64(len(e.undelivered)), "is", "are"))
			}
			e.res.Message = fmt.Sprintf("run key %q is already published as version %d (as of %s; --force replaces it); %s",
				e.o.RunKey, prior.ID, prior.AsOf.Format(time.DateOnly), todo)
			return true, nil
		}
		if prior != nil {
			if latest == nil || prior.ID != latest.ID {
				return false, failf("", "run key %q is version %d, but the latest version is %d: only the latest version can be replaced (backfilling history is not supported)",
					e.o.RunKey, prior.ID, latest.ID)
			}
			e.replace = prior
			if e.base, err = e.store.PublishedBefore(ctx, prior.ID); err != nil {
				return false, err
			}
		}
	}
	if e.base != nil && e.o.AsOf.Before(e.base.AsOf) {
		return false, failf("", "as of %s is earlier than the latest version %d (as of %s): versions are ordered by as_of, and backfilling history is not supported; if version %d is the mistake (published with a wrong --as-of), segrun rollback --last --store %s undoes it",
			e.o.AsOf.Format(time.DateOnly), e.base.ID, e.base.AsOf.Format(time.DateOnly), e.base.ID, shell.Quote(e.res.Store))
	}
	if e.base != nil {
		e.res.BaseRun = e.base.ID
	}
	if e.replace != nil {
		e.res.Replaced = e.replace.ID
	}
	return false, nil
}

// outcomeOnly says whether st is a source that only outcomes read (no step of the run reads it).
func (e *execution) outcomeOnly(st Step) bool {
	if st.Kind != KindSource || len(e.v.Graph.Dependents(st.node)) > 0 {
		return false
	}
	for _, o := range e.s.Outcomes {
		if o.Value.From == st.Name {
			return true
		}
	}
	return false
}

// execute runs every step in plan order in the workspace.
func (e *execution) execute(ctx context.Context) error {
	for _, v := range e.v.Vars {
		if err := e.db.SetVariable(ctx, v.Name, v.Type, v.Value); err != nil {
			return fmt.Errorf("setting var %s: %w", v.Name, err)
		}
	}
	total := len(e.v.Plan.Steps)
	done := map[string]bool{}
	for i, st := range e.v.Plan.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := kindNamed(st.Kind)
		if k.run == nil {
			continue // exports run after publishing
		}
		if e.outcomeOnly(st) {
			continue // segrun measure reads it: a run loading it read the events for nothing, and failed on their file
		}
		start := time.Now()
		e.progress("[%d/%d] %s %s ...", i+1, total, st.Kind, st.Name)
		rows, err := k.run(e, ctx, st.Name)
		if err != nil {
			return err
		}
		done[st.node] = true
		if err := e.releaseInputs(ctx, st.node, done); err != nil {
			return err
		}
		// Hand what the step freed back to the system before the next one allocates: otherwise the next
		// step's memory lands on top of, say, an aggregate's freed hash tables, and that sum is the peak.
		// It only saves memory, so a failure (DuckDB unable to fit a tight --memory-limit, say) is logged
		// and the run goes on under the limit it had.
		if err := e.db.ReleaseMemory(ctx); err != nil {
			e.log.Debug("memory not released", "step", st.Name, "error", err)
		}
		rep := StepReport{Step: st.Name, Kind: st.Kind, Rows: rows, Seconds: time.Since(start).Seconds(),
			Reader: e.readers[st.Name].Reader, PlainDeclined: e.readers[st.Name].PlainDeclined}
		e.res.Steps = append(e.res.Steps, rep)
		if k.progressDone != nil {
			e.progress("%s", k.progressDone(e, st.Name, rows, rep.Seconds))
		} else {
			e.progress(" %d rows in %.2fs\n", rows, rep.Seconds)
		}
		e.log.Debug("step done", "step", st.Name, "kind", st.Kind, "rows", rows, "seconds", rep.Seconds)
	}
	return nil
}

// releaseInputs drops the source and feature tables step read once every step reading them has run, so
// a 9M-row source does not sit in memory while segmentations run. Segmentation results stay: publishing
// reads them.
func (e *execution) releaseInputs(ctx context.Context, step string, done map[string]bool) error {
	for _, in := range e.v.Graph.Deps(step) {
		if kindOf(e.s, in).kept {
			continue
		}
		finished := true
		for _, reader := range append(e.v.Graph.Dependents(in), pitReaders(e.s, e.v.Graph, in)...) {
			finished = finished && done[reader]
		}
		if finished {
			kind := "TABLE"
			if e.views[in] {
				kind = "VIEW"
			}
			if err := e.db.Exec(ctx, "DROP "+kind+" IF EXISTS "+sql.Ident(in)); err != nil {
				return err
			}
			e.log.Debug("released", "table", in)
		}
	}
	return nil
}

func (e *execution) progress(format string, args ...any) {
	if e.o.Progress != nil {
		fmt.Fprintf(e.o.Progress, format, args...)
	}
}

func (e *execution) warn(format string, args ...any) {
	e.res.Warnings = append(e.res.Warnings, fmt.Sprintf(format, args...))
}
