package methods

import (
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/sql"
)

// Moving a segmentation's rows between DuckDB and Go: methods read their input and write their result as
// Arrow record batches.

// ReadBatches pulls a query's rows as Arrow record batches, retained for the caller to release.
func ReadBatches(a *sql.Arrow, query string) ([]arrow.RecordBatch, *arrow.Schema, error) {
	r, err := a.Query(query)
	if err != nil {
		return nil, nil, err
	}
	return RetainAll(r)
}

// RetainAll reads every batch of r (and releases r), retaining the batches for the caller to release: an
// engine's reader (DuckDB's Arrow, PostgreSQL's binary COPY) held as a slice.
func RetainAll(r array.RecordReader) ([]arrow.RecordBatch, *arrow.Schema, error) {
	defer r.Release()
	var out []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		out = append(out, rec)
	}
	if err := r.Err(); err != nil {
		Release(out)
		return nil, nil, err
	}
	return out, r.Schema(), nil
}

func Release(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// WithColumns reads the entity column of the input batches plus new columns (one array per input batch
// each) as record batches. Every 32 input batches (DuckDB exports 2,048 rows a batch) are read as one,
// since each batch DuckDB reads back crosses from C to Go: writing the benchmark's 1M-row lifecycle table
// took 0.10-0.11 s this way against 0.12-0.15 s batch by batch. Groups are put together as DuckDB asks for
// them and released when it asks for the next, so only one group is ever copied at a time.
func WithColumns(inputs []arrow.RecordBatch, entityPos int, fields []arrow.Field, cols [][]arrow.Array) (array.RecordReader, error) {
	schemaFields := append([]arrow.Field{inputs0Field(inputs, entityPos)}, fields...)
	r := &groupedReader{schema: arrow.NewSchema(schemaFields, nil), inputs: inputs, entityPos: entityPos, cols: cols}
	r.refs.Store(1)
	return r, nil
}

// groupsOf is how many input batches groupedReader puts in one.
const groupsOf = 32

// groupedReader is WithColumns' reader.
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

// Int16Array wraps codes as an Arrow array without copying.
func Int16Array(codes []int16) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Int16, len(codes),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int16Traits.CastToBytes(codes))}, nil, 0, 0)
	defer data.Release()
	return array.NewInt16Data(data)
}

// Int32Array wraps values as an Arrow array without copying.
func Int32Array(v []int32) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Int32, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewInt32Data(data)
}

// Float64Array wraps values as an Arrow array without copying.
func Float64Array(v []float64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Float64, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

// BoolArray makes an Arrow boolean array of v.
func BoolArray(v []bool) arrow.Array {
	b := array.NewBooleanBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}

// Uint64Array wraps values as an Arrow array without copying.
func Uint64Array(v []uint64) arrow.Array {
	data := array.NewData(arrow.PrimitiveTypes.Uint64, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Uint64Traits.CastToBytes(v))}, nil, 0, 0)
	defer data.Release()
	return array.NewUint64Data(data)
}
