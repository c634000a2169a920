// Package rules is the rules segmentation method: each entity gets the segment of the first rule (every
// rule, multi) that holds over its row. The rule engine itself is runner/rules; the rfm method applies
// its scores through Apply too.
package rules

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

func init() { methods.Register("rules", method{}) }

// method assigns the segment of the first rule (every rule, multi) that holds.
type method struct{}

func (method) Label(seg spec.Segmentation) string {
	if seg.Multi {
		return "rules (multi)"
	}
	return "rules"
}

func (method) ReadsRunVars() bool { return true }

func (method) Check(env methods.CheckEnv) []sql.Column {
	Check(env, Env(env.Input(), env.Vars()))
	return nil
}

func (method) Run(ctx context.Context, env methods.Env) error {
	seg := env.Segmentation()
	rs, err := Compile(seg.Rules, seg.Else, seg.Multi, Env(env.Input(), env.Vars()))
	if err != nil {
		return err
	}
	return Apply(ctx, env, rs, seg.From, nil)
}

// Check types each rule of the segmentation against what its rules can read (ruleEnv), and reports why
// one does not compile at its position in the rule.
func Check(env methods.CheckEnv, ruleEnv *engine.Env) {
	seg := env.Segmentation()
	for i, r := range seg.Rules {
		at := fmt.Sprintf("%s/rules/%d/when", env.Pointer(), i)
		if env.IsBroken(at) {
			continue
		}
		d := engine.Check(r.When, seg.From, ruleEnv)
		switch {
		case d == nil:
		case d.Line == 0:
			env.ErrorAt(at, d.Code, d.Message, d.Suggestion)
		default:
			env.ErrorAtScalar(at, d.Line, d.Column, d.Code, d.Message, d.Suggestion)
		}
	}
}

// Compile compiles a segmentation's rules (the spec's, or RFM's grid) for a run.
func Compile(list []spec.Rule, elseSegment string, multi bool, env *engine.Env) (*engine.Set, error) {
	rs := make([]engine.Rule, len(list))
	for i, r := range list {
		rs[i] = engine.Rule{Segment: r.Segment, When: r.When}
	}
	return engine.Compile(rs, elseSegment, multi, env)
}

// Env is what rules over input can read: its columns and the run's vars.
func Env(input []sql.Column, vars []engine.Var) *engine.Env {
	cols := make([]engine.Column, len(input))
	for i, c := range input {
		cols[i] = engine.Column{Name: c.Name, Type: c.Type}
	}
	return &engine.Env{Columns: cols, Vars: vars}
}

// Apply evaluates a rule set over table and writes the segmentation's result table: the entity, the
// segment, and the carry columns copied from table. Data crosses between DuckDB and Go as Arrow batches
// only: the entity column goes back as the very arrays that came out, beside an array of segment codes,
// and DuckDB turns codes into names.
func Apply(ctx context.Context, env methods.Env, rs *engine.Set, table string, carry []string) error {
	entity := env.Entity()
	cols := append(append([]string{entity}, carry...), rs.Columns()...)
	pos := make([]int, len(rs.Columns()))
	for i := range pos {
		pos[i] = 1 + len(carry) + i
	}
	env.Version().Segments = slices.Compact(slices.Sorted(slices.Values(rs.Segments()))) // several rules may share a segment
	query := fmt.Sprintf("SELECT %s FROM %s", methods.IdentList(cols), sql.Ident(table))
	return env.WithArrow(ctx, func(a *sql.Arrow) error {
		batches, _, err := methods.ReadBatches(a, query)
		if err != nil {
			return err
		}
		defer methods.Release(batches)
		results, stats, err := rs.Evaluate(ctx, batches, pos, methods.Workers(env.Threads()))
		var rowErr *engine.RowError
		if errors.As(err, &rowErr) {
			return ruleFailure(env, rs, rowErr, batches, entity, pos)
		}
		if err != nil {
			return fmt.Errorf("segmentation %s: %w", env.Name(), err)
		}
		rep := env.Report()
		rep.RuleEvaluations, rep.RuleSeconds = stats.Evaluations, stats.Seconds
		rep.Rules = append(rep.Rules, rs.Report(stats)...)
		return writeAssignments(a, env, rs, table, batches, results, carry)
	})
}

// ruleFailure is the run's failure for e: the rule as written, and the row. entity is the batch column
// holding the entity; colPos, the batch columns of the rule columns.
func ruleFailure(env methods.Env, rs *engine.Set, e *engine.RowError, batches []arrow.RecordBatch, entity string, colPos []int) error {
	msg := e.Msg
	if e.Rule >= 0 {
		r := rs.Rules()[e.Rule]
		msg = fmt.Sprintf("rule %d (%s) %q failed: %s", e.Rule+1, r.Segment, r.When, e.Msg)
	}
	rec := batches[e.Batch]
	row := entity + "=" + engine.ValueText(rec.Column(0), e.Row)
	for _, c := range e.Columns {
		row += ", " + rs.Columns()[c] + "=" + engine.ValueText(rec.Column(colPos[c]), e.Row)
	}
	return env.Fail(msg, "for example "+row)
}

// writeAssignments writes the result table of rules evaluated over table's batches.
func writeAssignments(a *sql.Arrow, env methods.Env, rs *engine.Set, table string, batches []arrow.RecordBatch, results []*engine.BatchResult, carry []string) error {
	name, entity := env.Name(), env.Entity()
	if len(batches) == 0 { // the carried columns are table's (an RFM segmentation's scores), not the input's
		return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, NULL::VARCHAR AS segment%s FROM %s WHERE false",
			sql.Ident(name), sql.Ident(entity), carryList(carry), sql.Ident(table)))
	}
	codes := make([]arrow.Array, len(batches))
	carried := make([][]arrow.Array, len(carry))
	for i, r := range results {
		if rs.Multi() {
			codes[i] = methods.Uint64Array(r.Sets)
		} else {
			codes[i] = methods.Int16Array(r.Codes)
		}
		for c := range carry {
			carried[c] = append(carried[c], batches[i].Column(1+c))
		}
	}
	defer func() {
		for _, c := range codes {
			c.Release()
		}
	}()
	fields := []arrow.Field{}
	for c, name := range carry {
		fields = append(fields, arrow.Field{Name: name, Type: batches[0].Column(1 + c).DataType(), Nullable: true})
	}
	codeType := arrow.DataType(arrow.PrimitiveTypes.Int16)
	if rs.Multi() {
		codeType = arrow.PrimitiveTypes.Uint64
	}
	fields = append(fields, arrow.Field{Name: "segrun_code", Type: codeType})
	reader, err := methods.WithColumns(batches, 0, fields, append(carried, codes))
	if err != nil {
		return err
	}
	defer reader.Release()
	ent := sql.Ident(entity)
	segments := rs.Segments()
	if !rs.Multi() {
		return a.CreateTable(name, reader, fmt.Sprintf("%s, %s AS segment%s", ent, methods.SegmentCase("segrun_code", methods.Ordinals(len(segments)), segments),
			carryList(carry)), "segrun_code >= 0")
	}
	// A multi segmentation gives one row per entity and matching rule, or the else segment when none did.
	typ := methods.SegmentType(segments)
	ruleList := rs.Rules()
	names := make([]string, len(ruleList))
	for i, r := range ruleList {
		names[i] = methods.SegmentValue(r.Segment, typ)
	}
	none := "[]::" + typ + "[]"
	if elseSegment, ok := rs.Else(); ok {
		none = "[" + methods.SegmentValue(elseSegment, typ) + "]"
	}
	sel := fmt.Sprintf("%s, unnest(CASE WHEN segrun_code = 0 THEN %s ELSE list_filter([%s], (s, i) -> (segrun_code >> (i - 1)) & 1 = 1) END) AS segment%s",
		ent, none, strings.Join(names, ", "), carryList(carry))
	return a.CreateTable(name, reader, sel, "")
}

func carryList(carry []string) string {
	if len(carry) == 0 {
		return ""
	}
	return ", " + methods.IdentList(carry)
}
