package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/segrun/segrun/sql"
)

// sourceStep returns the run's report of a source step.
func sourceStep(t *testing.T, r *Result, name string) StepReport {
	t.Helper()
	for _, st := range r.Steps {
		if st.Kind == KindSource && st.Step == name {
			return st
		}
	}
	t.Fatalf("no step for source %s in %+v", name, r.Steps)
	return StepReport{}
}

// The fixture's orders are read only by rfm, so they stream; the run must report them exactly as a loaded
// source: rows counted, fingerprinted with that count, and the same memberships.
func TestStreamedSourceIsCountedAndFingerprinted(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	r := f.mustRun("2024-03-01", nil)
	st := sourceStep(t, r, "orders")
	if st.ReadBy != "rfm" || st.Rows != 9 {
		t.Fatalf("orders: %+v, want streamed into rfm with 9 rows", st)
	}
	expectRows(t, "fingerprinted rows", f.query(`SELECT sources->>'$[0].rows' FROM segrun_store.runs`), `"9"`)

	// Read by a second feature too, the source is loaded instead, and nothing else changes.
	g := newFixture(t, strings.Replace(fixtureSpec, "segmentations:", `  order_days:
    sql: select customer_id, count(distinct ordered_at::date) as days from orders group by all
segmentations:`, 1), fixtureOrders)
	r2 := g.mustRun("2024-03-01", nil)
	if st := sourceStep(t, r2, "orders"); st.ReadBy != "" || st.Rows != 9 {
		t.Fatalf("orders read twice: %+v, want loaded with 9 rows", st)
	}
	want := f.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY ALL`)
	expectRows(t, "memberships, loaded vs streamed", g.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY ALL`), want...)
}

// DuckDB parses only the columns a query reads; a streamed source must still reject a value that breaks a
// column its feature never reads (rfm ignores order_id), before the feature's tests run.
func TestStreamedSourceChecksEveryColumn(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders+"6,eleven,2024-02-01 10:00:00,1.00\n")
	f.failsWith("2024-03-01", "source orders", "1 rows do not parse", "orders.csv:11:", `"order_id"`, "eleven")
}

// A feature that reads its streamed source twice scans the file twice; each bad line is reported once.
func TestStreamedSourceReadTwiceCountsLinesOnce(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "      from orders where ordered_at < getvariable('as_of')\n      group by customer_id",
		"      from orders where ordered_at < getvariable('as_of')\n        and customer_id in (select customer_id from orders)\n      group by customer_id", 1)
	if spec == fixtureSpec {
		t.Fatal("the fixture changed; this test no longer reads orders twice")
	}
	f := newFixture(t, spec, fixtureOrders+"6,11,2024-02-01 10:00:00,ten\n7,12,2024-02-01 10:00:00,twelve\n")
	f.failsWith("2024-03-01", "source orders", "2 rows do not parse", "orders.csv:11:", "orders.csv:12:")

	g := newFixture(t, spec, fixtureOrders)
	if st := sourceStep(t, g.mustRun("2024-03-01", nil), "orders"); st.ReadBy != "rfm" || st.Rows != 9 {
		t.Fatalf("orders: %+v, want streamed into rfm with 9 rows", st)
	}
}

// When DuckDB proves a scan needless it reads nothing, and the profile shows no scan: the source is then
// read on its own, so its rows are still counted and checked.
func TestStreamedSourceNotScannedIsStillChecked(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "      group by customer_id\n", "      group by customer_id\n      limit 0\n", 1)
	spec = strings.Replace(spec, "    tests:\n      - unique: customer_id\n", "", 1)
	f := newFixture(t, spec, fixtureOrders+"6,11,2024-02-01 10:00:00,ten\n")
	f.failsWith("2024-03-01", "source orders", "1 rows do not parse", "orders.csv:11:")
}

func TestScanFiles(t *testing.T) {
	for extra, want := range map[string]string{
		"{Function=READ_CSV, Projections=a | b, Total Files Read=1, 'Filename(s)'=data/orders.csv}": "data/orders.csv",
		"{Function=READ_CSV, 'Filename(s)'='/d/a.csv, /d/b.csv', Total Files Read=2}":               "/d/a.csv, /d/b.csv",
		"{Function=READ_CSV, 'Filename(s)'=/d/*.csv, Total Files Read=2}":                           "/d/*.csv",
		"{Function=SEQ_SCAN, Table=orders}":                                                         "",
	} {
		if got := scanFiles(extra); got != want {
			t.Errorf("scanFiles(%q) = %q, want %q", extra, got, want)
		}
	}
}

// The profile finds the rows of a real scan, as DuckDB prints it: one file, a glob and a list.
func TestScannedRowsFromDuckDBProfile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x,y\n1,2\n3,4\n5,6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &execution{db: db}
	for _, c := range []struct {
		paths []string
		rows  int64
	}{{[]string{a}, 3}, {[]string{filepath.Join(dir, "*.csv")}, 6}, {[]string{a, b}, 6}} {
		from := sql.ReadSQL("csv", c.paths, nil)
		var p *duckdb.ProfilingInfo
		p, err = e.profiled(ctx, func() error {
			return db.Exec(ctx, "CREATE OR REPLACE TABLE t AS SELECT y, count(*) FROM "+from+" WHERE x > 1 GROUP BY y")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := scannedRows(p, strings.Join(c.paths, ", ")); !ok || got != c.rows {
			t.Errorf("%v: scanned rows %d (found %v), want %d", c.paths, got, ok, c.rows)
		}
	}
}
