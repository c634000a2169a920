package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// rulesSegmenter assigns the segment of the first rule (every rule, multi) that holds.
type rulesSegmenter struct{}

func (rulesSegmenter) label(seg spec.Segmentation) string {
	if seg.Multi {
		return "rules (multi)"
	}
	return "rules"
}

func (rulesSegmenter) readsRunVars() bool { return true }

func (rulesSegmenter) check(c *validator, path string, seg spec.Segmentation, input []sql.Column) []sql.Column {
	c.typeRules(path, seg, ruleEnv(input, c.v.Vars))
	return nil
}

func (rulesSegmenter) run(ctx context.Context, e *execution, j *segJob) error {
	rs, err := compileRules(j.seg.Rules, j.seg.Else, j.seg.Multi, ruleEnv(j.input, e.v.Vars))
	if err != nil {
		return err
	}
	return e.applyRules(ctx, j, rs, j.seg.From, nil)
}

// compileRules compiles a segmentation's rules (the spec's, or RFM's grid) for a run.
func compileRules(list []spec.Rule, elseSegment string, multi bool, env *rules.Env) (*rules.Set, error) {
	rs := make([]rules.Rule, len(list))
	for i, r := range list {
		rs[i] = rules.Rule{Segment: r.Segment, When: r.When}
	}
	return rules.Compile(rs, elseSegment, multi, env)
}

// ruleEnv is what rules over input can read: its columns and the run's vars.
func ruleEnv(input []sql.Column, vars []Var) *rules.Env {
	cols := make([]rules.Column, len(input))
	for i, c := range input {
		cols[i] = rules.Column{Name: c.Name, Type: c.Type}
	}
	return &rules.Env{Columns: cols, Vars: ruleVars(vars)}
}

// ruleVars are the run's vars as rules read them.
func ruleVars(vars []Var) []rules.Var {
	out := make([]rules.Var, len(vars))
	for i, v := range vars {
		out[i] = rules.Var{Name: v.Name, Value: v.Value}
	}
	return out
}

// applyRules evaluates a rule set over table and writes the segmentation's result table: the entity, the
// segment, and the carry columns copied from table. Data crosses between DuckDB and Go as Arrow batches
// only: the entity column goes back as the very arrays that came out, beside an array of segment codes,
// and DuckDB turns codes into names.
func (e *execution) applyRules(ctx context.Context, j *segJob, rs *rules.Set, table string, carry []string) error {
	cols := append(append([]string{j.entity}, carry...), rs.Columns()...)
	pos := make([]int, len(rs.Columns()))
	for i := range pos {
		pos[i] = 1 + len(carry) + i
	}
	j.version.Segments = slices.Compact(slices.Sorted(slices.Values(rs.Segments()))) // several rules may share a segment
	query := fmt.Sprintf("SELECT %s FROM %s", identList(cols), sql.Ident(table))
	return e.db.WithArrow(ctx, func(a *sql.Arrow) error {
		batches, _, err := readBatches(a, query)
		if err != nil {
			return err
		}
		defer release(batches)
		results, stats, err := rs.Evaluate(ctx, batches, pos, workers(e.o.Threads))
		var rowErr *rules.RowError
		if errors.As(err, &rowErr) {
			return ruleFailure("segmentation "+j.name, rs, rowErr, batches, j.entity, pos)
		}
		if err != nil {
			return fmt.Errorf("segmentation %s: %w", j.name, err)
		}
		j.report.RuleEvaluations, j.report.RuleSeconds = stats.Evaluations, stats.Seconds
		j.report.Rules = append(j.report.Rules, rs.Report(stats)...)
		return writeAssignments(a, j, rs, table, batches, results, carry)
	})
}

// ruleFailure turns e into the run's Failure: the segmentation, the rule as written, and the row. entity
// is the batch column holding the entity; colPos, the batch columns of the rule columns.
func ruleFailure(step string, rs *rules.Set, e *rules.RowError, batches []arrow.RecordBatch, entity string, colPos []int) *Failure {
	f := &Failure{Step: step, Msg: e.Msg}
	if e.Rule >= 0 {
		r := rs.Rules()[e.Rule]
		f.Msg = fmt.Sprintf("rule %d (%s) %q failed: %s", e.Rule+1, r.Segment, r.When, e.Msg)
	}
	rec := batches[e.Batch]
	row := entity + "=" + rules.ValueText(rec.Column(0), e.Row)
	for _, c := range e.Columns {
		row += ", " + rs.Columns()[c] + "=" + rules.ValueText(rec.Column(colPos[c]), e.Row)
	}
	f.Details = []string{"for example " + row}
	return f
}

// writeAssignments writes the result table of rules evaluated over table's batches.
func writeAssignments(a *sql.Arrow, j *segJob, rs *rules.Set, table string, batches []arrow.RecordBatch, results []*rules.BatchResult, carry []string) error {
	if len(batches) == 0 { // the carried columns are table's (an RFM segmentation's scores), not the input's
		return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, NULL::VARCHAR AS segment%s FROM %s WHERE false",
			sql.Ident(j.name), sql.Ident(j.entity), carryList(carry), sql.Ident(table)))
	}
	codes := make([]arrow.Array, len(batches))
	carried := make([][]arrow.Array, len(carry))
	for i, r := range results {
		if rs.Multi() {
			codes[i] = uint64Array(r.Sets)
		} else {
			codes[i] = int16Array(r.Codes)
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
	reader, err := withColumns(batches, 0, fields, append(carried, codes))
	if err != nil {
		return err
	}
	defer reader.Release()
	ent := sql.Ident(j.entity)
	segments := rs.Segments()
	if !rs.Multi() {
		return a.CreateTable(j.name, reader, fmt.Sprintf("%s, %s AS segment%s", ent, segmentCase("segrun_code", ordinals(len(segments)), segments),
			carryList(carry)), "segrun_code >= 0")
	}
	// A multi segmentation gives one row per entity and matching rule, or the else segment when none did.
	typ := segmentType(segments)
	ruleList := rs.Rules()
	names := make([]string, len(ruleList))
	for i, r := range ruleList {
		names[i] = segmentValue(r.Segment, typ)
	}
	none := "[]::" + typ + "[]"
	if elseSegment, ok := rs.Else(); ok {
		none = "[" + segmentValue(elseSegment, typ) + "]"
	}
	sel := fmt.Sprintf("%s, unnest(CASE WHEN segrun_code = 0 THEN %s ELSE list_filter([%s], (s, i) -> (segrun_code >> (i - 1)) & 1 = 1) END) AS segment%s",
		ent, none, strings.Join(names, ", "), carryList(carry))
	return a.CreateTable(j.name, reader, sel, "")
}

func carryList(carry []string) string {
	if len(carry) == 0 {
		return ""
	}
	return ", " + identList(carry)
}
