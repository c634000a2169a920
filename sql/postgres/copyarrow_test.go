package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Every type PullArrow decodes comes out with its value, and NULL as null, with the Arrow type DuckDB
// would give the same column.
func TestPullArrowTypes(t *testing.T) {
	ctx := context.Background()
	d := open(t, "arrow")
	q := `SELECT * FROM (VALUES
		(1::int8, -2::int4, 3::int2, 1.5::float8, 2.5::float4, 'héllo'::text, 'v'::varchar(3), 'c'::char(2), true,
		 DATE '2026-03-31', TIMESTAMP '2026-03-31 12:34:56.789012', TIMESTAMPTZ '2026-03-31 12:00:00+02'),
		(-9223372036854775807::int8, NULL, NULL, NULL, NULL, '', NULL, NULL, false, DATE '1970-01-01', TIMESTAMP '1999-12-31 23:59:59', NULL),
		(NULL, NULL, NULL, 'NaN'::float8, NULL, NULL, NULL, NULL, NULL, DATE '1969-12-31', NULL, NULL)
	) AS v(i8, i4, i2, f8, f4, s, vc, ch, b, d, ts, tstz)`
	r, err := d.PullArrow(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	wantTypes := "i8:int64 i4:int32 i2:int16 f8:float64 f4:float32 s:utf8 vc:utf8 ch:utf8 b:bool d:date32 ts:timestamp[us] tstz:timestamp[us, tz=UTC]"
	var types []string
	for _, f := range r.Schema().Fields() {
		types = append(types, f.Name+":"+f.Type.String())
	}
	if got := strings.Join(types, " "); got != wantTypes {
		t.Fatalf("types\n got %s\nwant %s", got, wantTypes)
	}
	var rows []string
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			var vals []string
			for c := 0; c < int(rec.NumCols()); c++ {
				col := rec.Column(c)
				if col.IsNull(i) {
					vals = append(vals, "NULL")
					continue
				}
				switch a := col.(type) {
				case *array.Date32:
					vals = append(vals, a.Value(i).FormattedString())
				case *array.Timestamp:
					vals = append(vals, a.Value(i).ToTime(arrow.Microsecond).UTC().Format(time.RFC3339Nano))
				default:
					vals = append(vals, a.ValueStr(i))
				}
			}
			rows = append(rows, strings.Join(vals, "|"))
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1|-2|3|1.5|2.5|héllo|v|c |true|2026-03-31|2026-03-31T12:34:56.789012Z|2026-03-31T10:00:00Z",
		"-9223372036854775807|NULL|NULL|NULL|NULL||NULL|NULL|false|1970-01-01|1999-12-31T23:59:59Z|NULL",
		"NULL|NULL|NULL|NaN|NULL|NULL|NULL|NULL|NULL|1969-12-31|NULL|NULL",
	}
	if got := strings.Join(rows, "\n"); got != strings.Join(want, "\n") {
		t.Fatalf("rows\n got %s\nwant %s", got, strings.Join(want, "\n"))
	}
}

// Rows past one batch are split into batches of BatchRows, none lost or repeated, whatever chunks the
// server's COPY data arrives in.
func TestPullArrowBatches(t *testing.T) {
	ctx := context.Background()
	d := open(t, "batches")
	n := BatchRows*2 + 17
	r, err := d.PullArrow(ctx, fmt.Sprintf("SELECT g::int8 AS id, CASE WHEN g %% 3 = 0 THEN NULL ELSE 'x' || g END AS s FROM generate_series(1, %d) g", n))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	var sizes []int64
	var sum int64
	nulls := 0
	for r.Next() {
		rec := r.RecordBatch()
		sizes = append(sizes, rec.NumRows())
		ids := rec.Column(0).(*array.Int64)
		s := rec.Column(1).(*array.String)
		for i := 0; i < ids.Len(); i++ {
			sum += ids.Value(i)
			if s.IsNull(i) {
				nulls++
			} else if s.Value(i) != fmt.Sprintf("x%d", ids.Value(i)) {
				t.Fatalf("row %d: s = %q", ids.Value(i), s.Value(i))
			}
		}
	}
	if fmt.Sprint(sizes) != fmt.Sprintf("[%d %d 17]", BatchRows, BatchRows) || sum != int64(n)*int64(n+1)/2 || nulls != n/3 {
		t.Fatalf("batches %v, sum %d, nulls %d", sizes, sum, nulls)
	}
}

// A column of a type the pull does not decode fails before any row moves, naming the column and the
// cast; an error in the query is located in it.
func TestPullArrowRefuses(t *testing.T) {
	ctx := context.Background()
	d := open(t, "refuse")
	_, err := d.PullArrow(ctx, "SELECT 1::int8 AS id, 2.5::numeric(10,2) AS amount")
	if err == nil || !strings.Contains(err.Error(), "column amount is DECIMAL(10,2)") || !strings.Contains(err.Error(), "CAST(amount AS double precision)") {
		t.Fatalf("numeric column: %v", err)
	}
	_, err = d.PullArrow(ctx, "SELECT id\nFROM no_such_table")
	if err == nil || !strings.Contains(err.Error(), `relation "no_such_table" does not exist`) {
		t.Fatalf("missing table: %v", err)
	}
	// Infinite dates have no Arrow value: an error, not a wrong date.
	_, err = d.PullArrow(ctx, "SELECT 'infinity'::date AS d")
	if err == nil || !strings.Contains(err.Error(), "infinite date") {
		t.Fatalf("infinite date: %v", err)
	}
	// The connection still works after a failed COPY.
	var one int
	if err := d.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after the failed pulls: %d, %v", one, err)
	}
}
