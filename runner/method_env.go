package runner

import (
	"context"
	"log/slog"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// The narrow environments segmentation methods get (runner/methods): this file and segmentation.go are
// the only places that know both a method and the execution or validator behind its environment.

// segEnv is one segmentation being computed: methods.Env over the execution.
type segEnv struct {
	e    *execution
	name string
	seg  spec.Segmentation
	// report is what the run tells; version what publishing records; model what is stored with the
	// version for later runs (nil: none).
	report  *SegmentationReport
	version *store.Version
	model   any
}

func (j *segEnv) Name() string                    { return j.name }
func (j *segEnv) Segmentation() spec.Segmentation { return j.seg }
func (j *segEnv) Entity() string                  { return j.e.s.Entity }
func (j *segEnv) Input() []sql.Column             { return j.e.v.Columns[j.seg.From] }
func (j *segEnv) Vars() []rules.Var               { return ruleVars(j.e.v.Vars) }
func (j *segEnv) Threads() int                    { return j.e.o.Threads }
func (j *segEnv) Log() *slog.Logger               { return j.e.log }
func (j *segEnv) Report() *methods.Report         { return j.report }
func (j *segEnv) Version() *store.Version         { return j.version }
func (j *segEnv) SetModel(m any)                  { j.model = m }
func (j *segEnv) StagesChangeLog() bool           { return !j.e.o.Hooks.LeaveChangeLogsToStore }

// KPI is a declared KPI, for a search whose objective is its spread.
func (j *segEnv) KPI(name string) (spec.KPI, bool) { return j.e.s.KPIs.Get(name) }

func (j *segEnv) WithArrow(ctx context.Context, fn func(a *sql.Arrow) error) error {
	return j.e.db.WithArrow(ctx, fn)
}

func (j *segEnv) Exec(ctx context.Context, query string) error { return j.e.db.Exec(ctx, query) }

func (j *segEnv) BaseRun() int64 {
	if j.e.base == nil {
		return 0
	}
	return j.e.base.ID
}

func (j *segEnv) PreviousModel(ctx context.Context) (store.Model, int64, error) {
	if j.e.base == nil {
		return store.Model{}, 0, nil
	}
	info, err := j.e.store.Version(ctx, j.e.base.ID, j.name)
	if err != nil || info == nil {
		return store.Model{}, 0, err
	}
	return info.Model, info.Assigned, nil
}

func (j *segEnv) Fail(msg string, details ...string) error {
	return &Failure{Step: "segmentation " + j.name, Msg: msg, Details: details}
}

// ruleVars are the run's vars as rules read them.
func ruleVars(vars []Var) []rules.Var {
	out := make([]rules.Var, len(vars))
	for i, v := range vars {
		out[i] = rules.Var{Name: v.Name, Value: v.Value}
	}
	return out
}

// segCheckEnv is a segmentation's method being checked: methods.CheckEnv over the validator.
type segCheckEnv struct {
	c     *validator
	path  string
	seg   spec.Segmentation
	input []sql.Column
}

func (k segCheckEnv) Pointer() string                 { return k.path }
func (k segCheckEnv) Segmentation() spec.Segmentation { return k.seg }
func (k segCheckEnv) Entity() string                  { return k.c.s.Entity }
func (k segCheckEnv) Input() []sql.Column             { return k.input }
func (k segCheckEnv) Vars() []rules.Var               { return ruleVars(k.c.v.Vars) }
func (k segCheckEnv) IsBroken(at string) bool         { return k.c.s.IsBroken(at) }
func (k segCheckEnv) BrokenWithin(at string) bool     { return k.c.s.BrokenWithin(at) }
func (k segCheckEnv) Exists(at string) bool           { return k.c.s.Doc.Exists(at) }

func (k segCheckEnv) ErrorAt(at, code, msg, suggestion string) {
	k.c.errorAt(at, code, msg, suggestion)
}

func (k segCheckEnv) ErrorAtScalar(at string, line, col int, code, msg, suggestion string) {
	k.c.add(k.c.s.Doc.AtScalar(at, line, col, spec.Error, code, msg, suggestion))
}
