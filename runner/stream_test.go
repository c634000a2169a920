package runner

import (
	"fmt"
	"strings"
	"testing"
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
	f.failsWith("2024-03-01", "source orders", "1 row does not parse", "orders.csv:11:", `"order_id"`, "eleven")
}

// not_null columns are enforced by the reader, on every row, whether the feature reads them or not, and
// in the last column too.
func TestStreamedSourceEnforcesNotNullInUnreadColumns(t *testing.T) {
	spec := strings.NewReplacer("order_id: {type: BIGINT}", "order_id: {type: BIGINT, not_null: true}",
		"amount: {type: DOUBLE}", "amount: {type: DOUBLE, not_null: true}").Replace(fixtureSpec)
	orders := strings.Replace(fixtureOrders, "4,6,2024-02-10 08:00:00,\n", "4,6,2024-02-10 08:00:00,1.00\n", 1)
	g := newFixture(t, spec, orders)
	if st := sourceStep(t, g.mustRun("2024-03-01", nil), "orders"); st.ReadBy != "rfm" {
		t.Fatalf("orders: %+v, want streamed into rfm", st)
	}
	f := newFixture(t, spec, orders+"6,,2024-02-01 10:00:00,1.00\n7,12,2024-02-01 10:00:00,\n")
	f.failsWith("2024-03-01", "source orders", "2 rows do not parse", "orders.csv:11:", `column "order_id" is empty`,
		"orders.csv:12:", `column "amount" is empty`)
}

// A feature that reads its streamed source twice scans the file twice; each bad line is reported once.
func TestStreamedSourceReadTwiceCountsLinesOnce(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "      from orders where ordered_at < getvariable('as_of')\n",
		"      from (select * from orders where amount > 45 union all select * from orders where amount <= 45 or amount is null)\n"+
			"      where ordered_at < getvariable('as_of')\n", 1)
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

// A scan that may stop before the end of the files (a LIMIT; the probe side of a join, skipped when the
// other side is empty) would leave rows unchecked and miscounted: such a source is loaded instead, and a bad
// row at the end of a file larger than a scan's first chunks is still found.
func TestSourceScannedPartlyIsLoaded(t *testing.T) {
	var big strings.Builder
	big.WriteString(fixtureOrders)
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&big, "%d,%d,2024-02-01 10:00:00,1.00\n", 10+i, 100+i)
	}
	big.WriteString(",99999,2024-02-01 10:00:00,1.00\n")
	vip := "  vip:\n    path: data/vip.csv\n    allow_empty: true\n    columns:\n      customer_id: {type: BIGINT}\n"
	for name, from := range map[string]string{
		"limit":     "from (select * from orders limit 100) o where ordered_at < getvariable('as_of')",
		"semi join": "from orders where ordered_at < getvariable('as_of') and customer_id in (select customer_id from vip)",
		"join":      "from orders o join vip v using (customer_id) where ordered_at < getvariable('as_of')",
	} {
		t.Run(name, func(t *testing.T) {
			spec := strings.Replace(fixtureSpec, "      from orders where ordered_at < getvariable('as_of')\n", "      "+from+"\n", 1)
			spec = strings.Replace(spec, "features:", vip+"features:", 1)
			spec = strings.Replace(spec, "    tests:\n      - unique: customer_id\n", "", 1)
			f := newFixture(t, spec, big.String())
			f.write("data/vip.csv", "customer_id\n")
			f.failsWith("2024-03-01", "source orders", "1 row does not parse", fmt.Sprintf("orders.csv:%d:", 5011), `column "customer_id" is empty`)
			g := newFixture(t, spec, big.String()[:big.Len()-len(",99999,2024-02-01 10:00:00,1.00\n")])
			g.write("data/vip.csv", "customer_id\n")
			if st := sourceStep(t, g.mustRun("2024-03-01", nil), "orders"); st.Rows != 5009 {
				t.Errorf("orders: %+v, want 5009 rows", st)
			}
		})
	}
}

// When DuckDB proves a scan needless it reads nothing, and the profile shows no scan: the source is then
// read on its own, so its rows are still counted and checked.
func TestStreamedSourceNotScannedIsStillChecked(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "      group by customer_id\n", "      group by customer_id\n      limit 0\n", 1)
	spec = strings.Replace(spec, "    tests:\n      - unique: customer_id\n", "", 1)
	f := newFixture(t, spec, fixtureOrders+"6,11,2024-02-01 10:00:00,ten\n")
	f.failsWith("2024-03-01", "source orders", "1 row does not parse", "orders.csv:11:")
}

// Cases the review of streaming and sniffing found; each failed before its fix.
func TestStreamingAndSniffingEdgeCases(t *testing.T) {
	t.Run("rowid read from a source", func(t *testing.T) {
		spec := strings.Replace(fixtureSpec, "             count(*) as frequency,", "             count(*) as frequency, min(rowid) as first_row,", 1)
		f := newFixture(t, spec, fixtureOrders)
		if st := sourceStep(t, f.mustRun("2024-03-01", nil), "orders"); st.ReadBy != "" || st.Rows != 9 {
			t.Fatalf("orders: %+v, want loaded (a view has no rowid)", st)
		}
	})
	t.Run("columns the reader adds", func(t *testing.T) {
		spec := strings.NewReplacer("    path: data/orders.csv\n", "    path: data/orders.csv\n    options: {filename: true}\n",
			"             count(*) as frequency,", "             count(*) as frequency, count(distinct filename) as files,").Replace(fixtureSpec)
		newFixture(t, spec, fixtureOrders).mustRun("2024-03-01", nil)
	})
	t.Run("names given by the user", func(t *testing.T) {
		spec := strings.Replace(fixtureSpec, "    path: data/orders.csv\n", "    path: data/orders.csv\n    options: {names: [customer_id, order_id, ordered_at, amount]}\n", 1)
		newFixture(t, spec, fixtureOrders).mustRun("2024-03-01", nil)
	})
	t.Run("a reader error is the source's", func(t *testing.T) {
		spec := strings.Replace(fixtureSpec, "path: data/orders.csv", "path: data/part-*.csv", 1)
		f := newFixture(t, spec, "")
		f.write("data/part-1.csv", fixtureOrders)
		f.write("data/part-2.csv", "customer_id,order_id,ordered_at\n9,99,2024-02-01 10:00:00\n")
		// Files that disagree on their columns are now refused by validation, naming both.
		res, err := f.run("2024-03-01", nil)
		if err == nil || res == nil || res.Validation == nil || !strings.Contains(fmt.Sprint(res.Validation.Diagnostics), "part-2.csv has customer_id, order_id, ordered_at") {
			t.Fatalf("want the files' disagreement, got %v", err)
		}
	})
	t.Run("a missing field is not called empty", func(t *testing.T) {
		spec := strings.Replace(fixtureSpec, "amount: {type: DOUBLE}", "amount: {type: DOUBLE, not_null: true}", 1)
		orders := strings.Replace(fixtureOrders, "4,6,2024-02-10 08:00:00,\n", "4,6,2024-02-10 08:00:00,1.00\n", 1)
		f := newFixture(t, spec, orders+"6,11,2024-02-01 10:00:00\n")
		f.failsWith("2024-03-01", "source orders", "orders.csv:11:", "Expected Number of Columns")
	})
}
