package rules

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
)

// On a SQL engine other than the in-process DuckDB (PostgreSQL), rules run inside the engine as SQL
// (engine.Set.SQL): no row crosses to segrun, only the statistics row. The runner chooses this path for
// such an engine; validation refuses, at the rule, what cannot be translated (CheckOnEngine).

// Engine is what running rules inside an engine needs of its workspace (sql.Workspace has it).
type Engine interface {
	CreateTableAs(ctx context.Context, table, query string) error
	QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row
}

// ApplyOnEngine evaluates a rule set over table inside the engine ws: it creates the segmentation's
// result table (entity, segment VARCHAR, carried columns) in one statement and reports each rule's matches
// and NULL skips from one aggregate, as Apply does from Go. o says the dialect and where vars are read.
func ApplyOnEngine(ctx context.Context, ws Engine, env methods.Env, rs *engine.Set, table string, carry []string, o engine.SQLOptions) error {
	o.Carry = carry
	q, err := rs.SQL(table, env.Entity(), o)
	if err != nil {
		return fmt.Errorf("segmentation %s: %w", env.Name(), err)
	}
	env.Version().Segments = slices.Compact(slices.Sorted(slices.Values(rs.Segments())))
	start := time.Now()
	if err := ws.CreateTableAs(ctx, env.Name(), q.Membership); err != nil {
		return fmt.Errorf("segmentation %s: %w", env.Name(), err)
	}
	row := make([]int64, 2+2*len(rs.Rules()))
	ptrs := make([]any, len(row))
	for i := range row {
		ptrs[i] = &row[i]
	}
	if err := ws.QueryRow(ctx, q.Stats).Scan(ptrs...); err != nil {
		return fmt.Errorf("segmentation %s: rule statistics: %w", env.Name(), err)
	}
	stats, _, err := q.ReadStats(row)
	if err != nil {
		return err
	}
	stats.Seconds = time.Since(start).Seconds()
	rep := env.Report()
	rep.RuleEvaluations, rep.RuleSeconds = stats.Evaluations, stats.Seconds
	reports := rs.Report(stats)
	for i := range reports {
		reports[i].Kernel = false // evaluated by the engine, neither by kernels nor expr's VM
	}
	rep.Rules = append(rep.Rules, reports...)
	return nil
}

// CheckOnEngine reports, at its position in the rule, each rule of the segmentation that compiles but
// cannot run on an engine of dialect d. Validation calls it after Check when the pipeline's engine is not
// DuckDB (rfm's own rules too, with its score columns in ruleEnv).
func CheckOnEngine(env methods.CheckEnv, ruleEnv *engine.Env, d engine.Dialect) {
	seg := env.Segmentation()
	for i, r := range seg.Rules {
		at := fmt.Sprintf("%s/rules/%d/when", env.Pointer(), i)
		if env.IsBroken(at) || engine.Check(r.When, seg.From, ruleEnv) != nil {
			continue
		}
		diag := engine.TranslateCheck(r.When, ruleEnv, d)
		switch {
		case diag == nil:
		case diag.Line == 0:
			env.ErrorAt(at, diag.Code, diag.Message, "")
		default:
			env.ErrorAtScalar(at, diag.Line, diag.Column, diag.Code, diag.Message, "")
		}
	}
}
