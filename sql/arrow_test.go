package sql

import (
	"context"
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

// TestArrowViewFilters pins why statements that filter an Arrow view turn filter pushdown off: DuckDB drops
// the filters it pushes into such a view's scan. If the first check fails, DuckDB (or duckdb-go) has fixed
// that, and WithoutFilterPushdown can go.
func TestArrowViewFilters(t *testing.T) {
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
