package runner

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// readerRun is a pipeline run with one of the CSV readers, what it reported and what it logged (shown
// when a test fails).
type readerRun struct {
	f       *fixture
	log     *bytes.Buffer
	results []*Result
}

// runWithReader runs spec over orders at each as-of date, with DuckDB's CSV reader or (duckdb false) with
// the plain one wherever it applies, logging at debug level.
func runWithReader(t *testing.T, spec, orders string, duckdb bool, asOfs ...string) readerRun {
	t.Helper()
	r := readerRun{f: newFixture(t, spec, orders), log: &bytes.Buffer{}}
	for _, asOf := range asOfs {
		r.results = append(r.results, r.f.mustRun(asOf, func(o *RunOptions) {
			o.DuckDBCSV = duckdb
			o.Log = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}))
	}
	return r
}

// sourceReports are the reports of every run's source steps.
func (r readerRun) sourceReports() []StepReport {
	var reps []StepReport
	for _, res := range r.results {
		for _, st := range res.Steps {
			if st.Kind == KindSource {
				reps = append(reps, st)
			}
		}
	}
	return reps
}

func (r readerRun) usedPlain() bool {
	for _, st := range r.sourceReports() {
		if st.Reader == ReaderPlain {
			return true
		}
	}
	return false
}

// declined says why the plain reader gave each source to DuckDB's, in every run.
func (r readerRun) declined() string {
	var whys []string
	for _, st := range r.sourceReports() {
		whys = append(whys, st.PlainDeclined)
	}
	return strings.Join(whys, "\n")
}

// published is everything the store holds of the runs' segments: memberships with their validity and
// every change, in a fixed order.
func (r readerRun) published() []string {
	return append(r.f.query(`SELECT segmentation, entity, segment, valid_from_run, valid_to_run FROM segrun_store.memberships ORDER BY ALL`),
		r.f.query(`SELECT sources->>'$[0].rows' FROM segrun_store.runs ORDER BY run_id`)...)
}

// The fixture's orders are plain CSV read by one feature: the plain reader reads them, and the store ends up
// exactly as with DuckDB's reader, version after version (the feature filters the source, which an Arrow
// view's scan would drop if it were pushed into it).
func TestPlainReaderAgreesWithDuckDB(t *testing.T) {
	plain := runWithReader(t, fixtureSpec, fixtureOrders, false, "2024-03-01", "2024-06-01")
	duck := runWithReader(t, fixtureSpec, fixtureOrders, true, "2024-03-01", "2024-06-01")
	if !plain.usedPlain() {
		t.Fatalf("the plain reader did not read the fixture's orders:\n%s", plain.log)
	}
	if duck.usedPlain() {
		t.Fatal("DuckDBCSV did not keep the plain reader out")
	}
	expectRows(t, "store, plain reader against DuckDB's", plain.published(), duck.published()...)
}

// Windows and Excel write "\r\n" line ends: validation's sniffer finds them, the plain reader reads such
// files too, and the store is the same as with DuckDB's reader, or with the same orders written with "\n".
func TestPlainReaderReadsCRLF(t *testing.T) {
	crlf := strings.ReplaceAll(fixtureOrders, "\n", "\r\n")
	plain := runWithReader(t, fixtureSpec, crlf, false, "2024-03-01", "2024-06-01")
	if !plain.usedPlain() {
		t.Fatalf("the plain reader did not read orders with CRLF line ends:\n%s", plain.log)
	}
	duck := runWithReader(t, fixtureSpec, crlf, true, "2024-03-01", "2024-06-01")
	expectRows(t, "store, CRLF orders, plain reader against DuckDB's", plain.published(), duck.published()...)
	lf := runWithReader(t, fixtureSpec, fixtureOrders, false, "2024-03-01", "2024-06-01")
	expectRows(t, "store, CRLF orders against LF orders", plain.published(), lf.published()...)
}

// bigOrders are the fixture's orders and enough more (several of the plain reader's chunks) that DuckDB
// has read many batches before the reader meets the last line, last.
func bigOrders(last string) (string, int) {
	var b strings.Builder
	b.WriteString(fixtureOrders)
	for i := range 60000 {
		fmt.Fprintf(&b, "%d,%d,2024-02-%02d 10:00:00,%d.50\n", 10+i%5000, 100+i, 1+i%28, i%90)
	}
	b.WriteString(last)
	return b.String(), strings.Count(b.String(), "\n")
}

// What the plain reader leaves to DuckDB can come after DuckDB has aggregated many of its batches: the
// feature is then run again with DuckDB's reader, which reports a bad row by file and line, or reads a row
// DuckDB accepts, with the same result as if it had read the files from the start.
func TestPlainReaderGivesWayLate(t *testing.T) {
	bad, lines := bigOrders("7,99999,2024-02-01 10:00:00,ten\n")
	f := newFixture(t, fixtureSpec, bad)
	f.failsWith("2024-03-01", "source orders", "1 row does not parse", fmt.Sprintf("orders.csv:%d:", lines), "ten")

	// DuckDB reads a T between date and time; the plain reader leaves it to DuckDB.
	odd, _ := bigOrders("7,99999,2024-02-01T10:00:00,5.00\n")
	plain := runWithReader(t, fixtureSpec, odd, false, "2024-03-01")
	if plain.usedPlain() || !strings.Contains(plain.declined(), `column ordered_at: not plain: "2024-02-01T10:00:00"`) {
		t.Errorf("the plain reader did not give way to DuckDB's:\n%s", plain.log)
	}
	duck := runWithReader(t, fixtureSpec, odd, true, "2024-03-01")
	expectRows(t, "store after giving way", plain.published(), duck.published()...)
}

// DuckDB scans an Arrow view once: a feature that reads its source twice (a self-join) would see no rows
// the second time, so the plain reader leaves such a feature to DuckDB's.
func TestPlainReaderLeavesSelfJoinsToDuckDB(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "      from orders where ordered_at < getvariable('as_of')\n",
		"      from orders join (select order_id from orders) using (order_id) where ordered_at < getvariable('as_of')\n", 1)
	if spec == fixtureSpec {
		t.Fatal("the fixture changed; this test no longer joins orders to itself")
	}
	plain := runWithReader(t, spec, fixtureOrders, false, "2024-03-01")
	if plain.usedPlain() {
		t.Error("the plain reader read a source its feature joins to itself")
	}
	duck := runWithReader(t, spec, fixtureOrders, true, "2024-03-01")
	expectRows(t, "store of a self-join", plain.published(), duck.published()...)
}

// A source several steps read is loaded into a table; the plain reader loads it too, with the same store
// as DuckDB's reader, and a bad row far into the file still comes out by file and line.
func TestPlainReaderLoadsSourcesReadTwice(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "segmentations:", `  order_days:
    sql: select customer_id, count(distinct ordered_at::date) as days from orders group by all
segmentations:`, 1)
	plain := runWithReader(t, spec, fixtureOrders, false, "2024-03-01", "2024-06-01")
	if reps := plain.sourceReports(); len(reps) == 0 || reps[0].Step != "orders" || reps[0].Rows != 9 || reps[0].Reader != ReaderPlain || reps[0].ReadBy != "" {
		t.Fatalf("the plain reader did not load the orders:\n%s", plain.log)
	}
	duck := runWithReader(t, spec, fixtureOrders, true, "2024-03-01", "2024-06-01")
	expectRows(t, "store, loaded by the plain reader and by DuckDB's", plain.published(), duck.published()...)

	bad, lines := bigOrders("7,99999,2024-02-01 10:00:00,ten\n")
	newFixture(t, spec, bad).failsWith("2024-03-01", "source orders", "1 row does not parse", fmt.Sprintf("orders.csv:%d:", lines), "ten")
}

// DATE columns are plain (docs/spec.md): the sniffer pins their format, %Y-%m-%d, which kept the plain
// reader out of every source with a date.
func TestPlainReaderReadsDates(t *testing.T) {
	spec := strings.NewReplacer("ordered_at: {type: TIMESTAMP}", "ordered_at: {type: DATE}").Replace(fixtureSpec)
	orders := regexp.MustCompile(` \d\d:\d\d:\d\d`).ReplaceAllString(fixtureOrders, "")
	plain := runWithReader(t, spec, orders, false, "2024-03-01", "2024-06-01")
	if !plain.usedPlain() {
		t.Fatalf("the plain reader did not read orders with dates:\n%s", plain.log)
	}
	duck := runWithReader(t, spec, orders, true, "2024-03-01", "2024-06-01")
	expectRows(t, "store, dated orders, plain reader against DuckDB's", plain.published(), duck.published()...)
}
