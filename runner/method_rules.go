package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/sql"
)

type rulesSegmenter struct{}

func (rulesSegmenter) run(ctx context.Context, e *execution, j *segJob) error {
	rs, err := compileRules(j.seg.Rules, j.seg.Else, j.seg.Multi, &RuleEnv{Columns: j.input, Vars: e.v.Vars})
	if err != nil {
		return err
	}
	return e.applyRules(ctx, j, rs, j.seg.From, nil)
}

// applyRules evaluates a rule set over table and writes the segmentation's result table: the entity, the
// segment, and the carry columns copied from table. Data crosses between DuckDB and Go as Arrow batches
// only: the entity column goes back as the very arrays that came out, beside an array of segment codes,
// and DuckDB turns codes into names.
func (e *execution) applyRules(ctx context.Context, j *segJob, rs *ruleSet, table string, carry []string) error {
	cols := append(append([]string{j.entity}, carry...), rs.columns...)
	pos := make([]int, len(rs.columns))
	for i := range rs.columns {
		pos[i] = 1 + len(carry) + i
	}
	j.version.Segments = slices.Compact(slices.Sorted(slices.Values(rs.segments))) // several rules may share a segment
	query := fmt.Sprintf("SELECT %s FROM %s", identList(cols), sql.Ident(table))
	return e.db.WithArrow(ctx, func(a *sql.Arrow) error {
		batches, _, err := readBatches(a, query)
		if err != nil {
			return err
		}
		defer release(batches)
		results, stats, err := rs.evaluateAll(ctx, batches, pos, workers(e.o.Threads))
		var rowErr *ruleRowError
		if errors.As(err, &rowErr) {
			return rs.failure("segmentation "+j.name, rowErr, batches, j.entity, pos)
		}
		if err != nil {
			return fmt.Errorf("segmentation %s: %w", j.name, err)
		}
		j.report.RuleEvaluations, j.report.RuleSeconds = stats.Evaluations, stats.Seconds
		kernels := rs.kernelled()
		for i, r := range rs.rules {
			j.report.Rules = append(j.report.Rules, RuleReport{Segment: r.segment, When: r.src, Matched: stats.Matched[i],
				NullSkipped: stats.NullSkipped[i], Kernel: kernels[i]})
		}
		return writeAssignments(a, j, rs, table, batches, results, carry)
	})
}

// writeAssignments writes the result table of rules evaluated over table's batches.
func writeAssignments(a *sql.Arrow, j *segJob, rs *ruleSet, table string, batches []arrow.RecordBatch, results []*batchResult, carry []string) error {
	if len(batches) == 0 { // the carried columns are table's (an RFM segmentation's scores), not the input's
		return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, NULL::VARCHAR AS segment%s FROM %s WHERE false",
			sql.Ident(j.name), sql.Ident(j.entity), carryList(carry), sql.Ident(table)))
	}
	codes := make([]arrow.Array, len(batches))
	carried := make([][]arrow.Array, len(carry))
	for i, r := range results {
		if rs.multi {
			codes[i] = uint64Array(r.sets)
		} else {
			codes[i] = int16Array(r.codes)
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
	if rs.multi {
		codeType = arrow.PrimitiveTypes.Uint64
	}
	fields = append(fields, arrow.Field{Name: "segrun_code", Type: codeType})
	reader, err := withColumns(batches, 0, fields, append(carried, codes))
	if err != nil {
		return err
	}
	defer reader.Release()
	ent := sql.Ident(j.entity)
	if !rs.multi {
		return a.CreateTable(j.name, reader, fmt.Sprintf("%s, %s AS segment%s", ent, segmentCase("segrun_code", ordinals(len(rs.segments)), rs.segments),
			carryList(carry)), "segrun_code >= 0")
	}
	// A multi segmentation gives one row per entity and matching rule, or the else segment when none did.
	typ := segmentType(rs.segments)
	names := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		names[i] = segmentValue(r.segment, typ)
	}
	none := "[]::" + typ + "[]"
	if rs.elseCode >= 0 {
		none = "[" + segmentValue(rs.segments[rs.elseCode], typ) + "]"
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
