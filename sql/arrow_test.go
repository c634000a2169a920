package sql

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// numbers is an Arrow reader over x = 0..n-1.
func numbers(n int) array.RecordReader {
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	for i := range n {
		b.Append(int64(i))
	}
	col := b.NewArray()
	defer col.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(n))
	defer rec.Release()
	r, _ := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	return r
}

// twoColumns is an Arrow reader over y = -x, x = 0..n-1, with a text column between them.
func twoColumns(n int) array.RecordReader {
	schema := arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(-i))
		b.Field(1).(*array.StringBuilder).Append("text")
		b.Field(2).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	r, _ := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	return r
}

func arrowCount(t *testing.T, a *Arrow, q string) int64 {
	t.Helper()
	r, err := a.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var n int64
	for r.Next() {
		n = r.RecordBatch().Column(0).(*array.Int64).Value(0)
	}
	return n
}

// TestArrowViewScans pins why statements that read an Arrow view turn optimizers off (arrowScanUnsafe):
// DuckDB drops the filters it pushes into such a view's scan. If the first check fails, DuckDB (or
// duckdb-go) has fixed that. CreateTable must keep rows and columns right whatever it selects.
func TestArrowViewScans(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	err := db.WithArrow(ctx, func(a *Arrow) error {
		release, err := a.RegisterView(numbers(10000), "v")
		if err != nil {
			return err
		}
		defer release()
		if n := arrowCount(t, a, "SELECT count(*) FROM v WHERE x >= 5000"); n != 10000 {
			t.Errorf("a filter pushed into an Arrow view's scan kept %d of 10000 rows; DuckDB used to drop it (keep all)", n)
		}
		if err := a.CreateTable("kept", numbers(10000), "x", "x >= 5000"); err != nil {
			return err
		}
		if n := arrowCount(t, a, "SELECT count(*) FROM kept"); n != 5000 {
			t.Errorf("CreateTable with WHERE x >= 5000 kept %d rows, want 5000", n)
		}
		// Fewer columns than the view has, in another order, or one alone: each must be the column named.
		for sel, want := range map[string]string{"x * 2 AS d, x": "2 1", "x": "1", "y, x": "-4998 4998", "y": "-4998"} {
			if err := a.CreateTable("picked", twoColumns(5000), sel, "x >= 0"); err != nil {
				return err
			}
			r, err := a.Query("SELECT * FROM picked ORDER BY ALL LIMIT 1 OFFSET 1")
			if err != nil {
				return err
			}
			for r.Next() {
				var got []string
				for _, c := range r.RecordBatch().Columns() {
					got = append(got, c.ValueStr(0))
				}
				if g := strings.Join(got, " "); g != want {
					t.Errorf("CreateTable selecting %s: second row %s, want %s", sel, g, want)
				}
			}
			r.Release()
		}
		r, err := a.Query("SELECT current_setting('disabled_optimizers')")
		if err != nil {
			return err
		}
		defer r.Release()
		for r.Next() {
			if s := r.RecordBatch().Column(0).ValueStr(0); s != "" {
				t.Errorf("disabled_optimizers is %q after CreateTable, want it reset", s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
