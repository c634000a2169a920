package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// SegmentationReport is what a run tells about one segmentation.
type SegmentationReport struct {
	Name   string      `json:"name"`
	Method string      `json:"method"`
	Diff   *store.Diff `json:"diff,omitempty"`
	// Rules reports each rule's matches and the rows it skipped for a NULL.
	Rules []rules.Report `json:"rules,omitempty"`
	// RuleEvaluations is rows x rules evaluated, and RuleSeconds the time it took.
	RuleEvaluations int64   `json:"rule_evaluations,omitempty"`
	RuleSeconds     float64 `json:"rule_seconds,omitempty"`
	// Cluster reports a clustering's fit, validity and stability.
	Cluster *ClusterReport `json:"cluster,omitempty"`
	Notes   []string       `json:"notes,omitempty"`
}

// segJob is one segmentation being computed.
type segJob struct {
	name   string
	seg    spec.Segmentation
	input  []sql.Column
	entity string
	report *SegmentationReport
	// version is what publishing records; methods fill in its descriptions and segments.
	version *store.Version
	// model is what a clustering keeps for later runs, stored with the version (nil: none).
	model *storedModel
}

// segmenter computes a segmentation into the workspace table named after it: the entity column, segment,
// and the method's score columns. Methods are looked up by name, so new ones plug in here alone.
type segmenter interface {
	run(ctx context.Context, e *execution, j *segJob) error
}

var segmenters = map[string]segmenter{
	"rules":   rulesSegmenter{},
	"rfm":     rfmSegmenter{},
	"cluster": clusterSegmenter{},
}

func (e *execution) runSegmentation(ctx context.Context, name string) (int64, error) {
	seg, _ := e.s.Segmentations.Get(name)
	j := &segJob{
		name: name, seg: seg, input: e.v.Columns[seg.From], entity: e.s.Entity,
		report:  &SegmentationReport{Name: name, Method: segmentationMethod(seg)},
		version: &store.Version{Segmentation: name, Table: name, EntityColumn: e.s.Entity, Method: segmentationMethod(seg), Multi: seg.Multi},
	}
	entities, checked := e.entities[seg.From]
	if !checked { // segmentations of the same input share its check
		var err error
		if entities, err = e.checkEntities(ctx, "segmentation "+name, seg.From); err != nil {
			return 0, err
		}
		e.entities[seg.From] = entities
	}
	j.version.Entities = entities
	if err := segmenters[seg.Method()].run(ctx, e, j); err != nil {
		return 0, err
	}
	var rows int64
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(name)).Scan(&rows); err != nil {
		return 0, err
	}
	e.res.Segmentations = append(e.res.Segmentations, *j.report)
	e.segVersions = append(e.segVersions, *j.version)
	e.segPayloads = append(e.segPayloads, segPayload{report: j.report, model: j.model})
	return rows, nil
}

// checkEntities refuses an input where an entity is missing or appears twice: either would silently give
// an entity no segment or two. It returns the number of entities.
func (e *execution) checkEntities(ctx context.Context, step, table string) (int64, error) {
	ent, tbl := sql.Ident(e.s.Entity), sql.Ident(table)
	var rows, nulls, dups int64
	if err := e.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE %[1]s IS NULL),
		(SELECT count(*) FROM (SELECT %[1]s FROM %[2]s WHERE %[1]s IS NOT NULL GROUP BY ALL HAVING count(*) > 1))
		FROM %[2]s`, ent, tbl)).Scan(&rows, &nulls, &dups); err != nil {
		return 0, err
	}
	f := &Failure{Step: step}
	if dups > 0 {
		f.Msg = fmt.Sprintf("%d %s values appear more than once in %s; each entity needs exactly one row", dups, e.s.Entity, table)
		sample, err := e.db.SampleRows(ctx, fmt.Sprintf("SELECT %[1]s, count(*) AS rows FROM %[2]s WHERE %[1]s IS NOT NULL GROUP BY ALL HAVING count(*) > 1 ORDER BY rows DESC, %[1]s LIMIT 5", ent, tbl))
		if err != nil {
			return 0, err
		}
		f.Details = append(f.Details, sample...)
	}
	if nulls > 0 {
		if f.Msg != "" {
			f.Msg += "; "
		}
		f.Msg += fmt.Sprintf("%d rows of %s have no %s", nulls, table, e.s.Entity)
	}
	if f.Msg != "" {
		return 0, f
	}
	return rows, nil
}

// readBatches pulls a query's rows as Arrow record batches, retained for the caller to release.
func readBatches(a *sql.Arrow, query string) ([]arrow.RecordBatch, *arrow.Schema, error) {
	r, err := a.Query(query)
	if err != nil {
		return nil, nil, err
	}
	defer r.Release()
	var out []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		out = append(out, rec)
	}
	if err := r.Err(); err != nil {
		release(out)
		return nil, nil, err
	}
	return out, r.Schema(), nil
}

func release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// withColumns reads the entity column of the input batches plus new columns (one array per input batch
// each) as record batches. Every 32 input batches (DuckDB exports 2,048 rows a batch) are read as one,
// since each batch DuckDB reads back crosses from C to Go: writing the benchmark's 1M-row lifecycle table
// took 0.10-0.11 s this way against 0.12-0.15 s batch by batch. Groups are put together as DuckDB asks for
// them and released when it asks for the next, so only one group is ever copied at a time.
func withColumns(inputs []arrow.RecordBatch, entityPos int, fields []arrow.Field, cols [][]arrow.Array) (array.RecordReader, error) {
	schemaFields := append([]arrow.Field{inputs0Field(inputs, entityPos)}, fields...)
	r := &groupedReader{schema: arrow.NewSchema(schemaFields, nil), inputs: inputs, entityPos: entityPos, cols: cols}
	r.refs.Store(1)
	return r, nil
}

// groupsOf is how many input batches groupedReader puts in one.
const groupsOf = 32

// groupedReader is withColumns' reader.
type groupedReader struct {
	refs      atomic.Int64
	schema    *arrow.Schema
	inputs    []arrow.RecordBatch
	entityPos int
	cols      [][]arrow.Array
	next      int
	cur       arrow.RecordBatch
	err       error
}

func (r *groupedReader) Retain() { r.refs.Add(1) }

func (r *groupedReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *groupedReader) Schema() *arrow.Schema { return r.schema }
func (r *groupedReader) Err() error            { return r.err }

func (r *groupedReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch (arrow's deprecated name for it).
func (r *groupedReader) Record() arrow.RecordBatch { return r.cur }

func (r *groupedReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.err != nil || r.next >= len(r.inputs) {
		return false
	}
	lo, hi := r.next, min(r.next+groupsOf, len(r.inputs))
	r.next = hi
	arrays := make([]arrow.Array, 0, 1+len(r.cols))
	defer func() {
		for _, a := range arrays {
			a.Release() // the record batch holds its own references
		}
	}()
	parts := make([]arrow.Array, 0, hi-lo)
	for i := lo; i < hi; i++ {
		parts = append(parts, r.inputs[i].Column(r.entityPos))
	}
	for c := -1; c < len(r.cols); c++ {
		if c >= 0 {
			parts = r.cols[c][lo:hi]
		}
		a, err := array.Concatenate(parts, memory.DefaultAllocator)
		if err != nil {
			r.err = err
			return false
		}
		arrays = append(arrays, a)
	}
	r.cur = array.NewRecordBatch(r.schema, arrays, int64(arrays[0].Len()))
	return true
}

func inputs0Field(inputs []arrow.RecordBatch, pos int) arrow.Field {
	return inputs[0].Schema().Field(pos)
}

// int16Array wraps codes as an Arrow array without copying.
func int16Array(codes []int16) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Int16, len(codes),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int16Traits.CastToBytes(codes))}, nil, 0, 0)
	defer data.Release()
	return array.NewInt16Data(data)
}

// int32Array wraps values as an Arrow array without copying.
func int32Array(v []int32) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Int32, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewInt32Data(data)
}

// float64Array wraps values as an Arrow array without copying.
func float64Array(v []float64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Float64, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

// boolArray makes an Arrow boolean array of v.
func boolArray(v []bool) arrow.Array {
	b := array.NewBooleanBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}

// uint64Array wraps values as an Arrow array without copying.
func uint64Array(v []uint64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Uint64, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Uint64Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewUint64Data(data)
}

// A segmentation's result table holds its segment as an ENUM of the segment names it can assign, sorted,
// not as VARCHAR. SQL reads it as text (comparisons with strings, LIKE, concatenation and, with the names
// sorted, ordering all behave as for VARCHAR), but DuckDB stores one byte per row instead of a string,
// and every step after the segmentation reads those bytes: the diff with the previous version, segment
// counts, the store's inserts. Strings had been half of publishing's CPU time (storing them, hashing them
// for DuckDB's statistics, scanning them back); on the benchmark's two 1M-row segmentations, in alternating
// runs, a first version took 0.2-0.3 s less (of 3.7-4.1 s) and a second 0.1-0.2 s less.

// segmentType is the ENUM type of a segmentation whose segments are names.
func segmentType(names []string) string {
	sorted := slices.Compact(slices.Sorted(slices.Values(names)))
	lits := make([]string, len(sorted))
	for i, n := range sorted {
		lits[i] = sql.Literal(n)
	}
	return "ENUM(" + strings.Join(lits, ", ") + ")"
}

// segmentValue is the SQL constant of segment name in a column of type typ (a segmentType).
func segmentValue(name, typ string) string { return sql.Literal(name) + "::" + typ }

// segmentCase is the SQL expression turning the code in codeCol into its segment: codes[i] becomes
// names[i], a value of segmentType(names); any other code gives NULL.
func segmentCase(codeCol string, codes []int, names []string) string {
	typ := segmentType(names)
	var b strings.Builder
	b.WriteString("CASE " + codeCol)
	for i, n := range names {
		fmt.Fprintf(&b, " WHEN %d THEN %s", codes[i], segmentValue(n, typ))
	}
	b.WriteString(" END")
	return b.String()
}

// ordinals are the codes 0..n-1.
func ordinals(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
