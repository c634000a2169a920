package postgres

import (
	"context"
	"testing"
)

// benchQuery is 1M rows of the column types a clustering sample has.
const benchQuery = `SELECT g::int8 AS customer_id, g * 0.5::float8 AS monetary, 'c' || g AS name,
	DATE '2020-01-01' + (g % 1000) AS first_order FROM generate_series(1, 1000000) g`

// BenchmarkPullArrow: a million rows by binary COPY into Arrow batches.
func BenchmarkPullArrow(b *testing.B) {
	d, err := Open(context.Background(), pgB(b), "bench_arrow")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		r, err := d.PullArrow(context.Background(), benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		for r.Next() {
			n += r.RecordBatch().NumRows()
		}
		r.Release()
		if n != 1_000_000 {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkScanRows: the same rows through database/sql, row by row, for comparison.
func BenchmarkScanRows(b *testing.B) {
	d, err := Open(context.Background(), pgB(b), "bench_scan")
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for b.Loop() {
		rows, err := d.Query(context.Background(), benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		var id int64
		var m float64
		var name string
		var day any
		n := 0
		for rows.Next() {
			if err := rows.Scan(&id, &m, &name, &day); err != nil {
				b.Fatal(err)
			}
			n++
		}
		rows.Close()
		if n != 1_000_000 {
			b.Fatalf("%d rows", n)
		}
	}
}

func pgB(b *testing.B) string {
	if pgErr != nil {
		b.Skipf("pgtest: %v", pgErr)
	}
	return server.DSN
}
