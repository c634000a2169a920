package postgres

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// PushArrow writes every type it encodes, NULLs, and the doubles' bits (NaN, infinities, -0, the
// smallest subnormal) as they were, over more than one batch: what the server reads back as text and
// PullArrow reads back as Arrow is what was pushed.
func TestPushArrowRoundTrip(t *testing.T) {
	d := open(t, "push")
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	}, nil)
	doubles := []float64{1.5, math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 5e-324, 0.1 + 0.2}
	var recs []arrow.RecordBatch
	for batch := range 2 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i, f := range doubles {
			row := int64(batch*len(doubles) + i)
			b.Field(0).(*array.Int64Builder).Append(row)
			b.Field(1).(*array.Int32Builder).Append(int32(-row))
			b.Field(2).(*array.Int16Builder).Append(int16(row))
			b.Field(3).(*array.Float64Builder).Append(f)
			b.Field(4).(*array.StringBuilder).Append("é" + string(rune('a'+row)))
			b.Field(5).(*array.BooleanBuilder).Append(row%2 == 0)
		}
		for c := 1; c < 6; c++ { // a row of NULLs but its key
			b.Field(c).AppendNull()
		}
		b.Field(0).(*array.Int64Builder).Append(int64(100 + batch))
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	r, err := array.NewRecordReader(schema, recs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	sent, err := d.PushArrow(ctx, "pushed", r)
	if err != nil {
		t.Fatal(err)
	}
	if sent < 14*6*4 {
		t.Errorf("%d bytes sent for 14 rows of 6 columns", sent)
	}
	var n, nulls int64
	var inf, negZero bool
	if err := d.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE s IS NULL AND b IS NULL AND f64 IS NULL),
		bool_or(f64 = 'Infinity') AND bool_or(f64 = '-Infinity'), bool_or(f64 = 0 AND text(f64) = '-0')
		FROM pushed`).Scan(&n, &nulls, &inf, &negZero); err != nil {
		t.Fatal(err)
	}
	if n != 14 || nulls != 2 || !inf || !negZero {
		t.Errorf("read back %d rows, %d NULL rows, infinities %v, -0 %v; want 14, 2, true, true", n, nulls, inf, negZero)
	}
	back, err := d.PullArrow(ctx, "SELECT i64, i32, i16, f64, s, b FROM pushed ORDER BY i64")
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	row := 0
	for back.Next() {
		rec := back.RecordBatch()
		for i := range int(rec.NumRows()) {
			key := rec.Column(0).(*array.Int64).Value(i)
			if key >= 100 {
				for c := 1; c < 6; c++ {
					if !rec.Column(c).IsNull(i) {
						t.Errorf("row %d column %d: not NULL", key, c)
					}
				}
				continue
			}
			want := doubles[key%int64(len(doubles))]
			if got := rec.Column(3).(*array.Float64).Value(i); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("row %d: double %v (%x), want %v (%x)", key, got, math.Float64bits(got), want, math.Float64bits(want))
			}
			if got := rec.Column(1).(*array.Int32).Value(i); got != int32(-key) {
				t.Errorf("row %d: integer %d", key, got)
			}
			if got := rec.Column(2).(*array.Int16).Value(i); got != int16(key) {
				t.Errorf("row %d: smallint %d", key, got)
			}
			if got := rec.Column(4).(*array.String).Value(i); got != "é"+string(rune('a'+key)) {
				t.Errorf("row %d: text %q", key, got)
			}
			if got := rec.Column(5).(*array.Boolean).Value(i); got != (key%2 == 0) {
				t.Errorf("row %d: boolean %v", key, got)
			}
			row++
		}
	}
	if row != 12 {
		t.Errorf("%d rows with values read back, want 12", row)
	}
}

// A column type PushArrow does not encode is refused before the table is made.
func TestPushArrowRefuses(t *testing.T) {
	d := open(t, "pushrefuses")
	schema := arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Date32}}, nil)
	r, err := array.NewRecordReader(schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if _, err := d.PushArrow(context.Background(), "refused", r); err == nil {
		t.Fatal("a date32 column was pushed")
	}
}
