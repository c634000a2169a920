package clv

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/sql"
)

// The customers' summary is DuckDB's work, over the materialised input: a purchase is a row with a time
// and an amount of 0 or more (a negative one is a return; NaN is none); purchases on one day are one, their amounts summed (lifetimes'
// summary_data_from_transaction_data with daily periods). Per customer, over the purchase days before
// the end:
//
//	frequency       the purchase days after the first
//	recency         first to last purchase day, in units
//	age (T)         first purchase day to the last day observed (the day before the end), in units
//	monetary_value  the mean amount of the purchase days after the first (0 without one)
//
// so a customer's first purchase yesterday has age 0, as lifetimes counts with observation_period_end =
// yesterday. With a calibration end before the as-of date, the summary is the calibration period's and
// holdout counts the purchase days from the calibration end to the as-of date.

// summaryColumns are the summary's columns after the entity, in order.
var summaryColumns = []string{"frequency", "recency", "age", "monetary_value"}

// dialect is what the summary's SQL writes differently on DuckDB and on PostgreSQL, in one place: the
// rest of the statements is the same text on both. Every difference keeps the arithmetic: whole days as
// integers, divided by the unit as doubles, the amounts summed as exact decimals and cast to double once.
type dialect struct {
	postgres bool
	// textEntity: the entity is text, which PostgreSQL orders by its collation unless told to compare
	// bytes, as DuckDB does; the fit must see the customers in one order on both.
	textEntity bool
	// integerAmount: the amount is an integer, never NaN or infinite.
	integerAmount bool
}

// double casts x to a double.
func (d dialect) double(x string) string {
	if d.postgres {
		return "CAST(" + x + " AS DOUBLE PRECISION)"
	}
	return "(" + x + ")::DOUBLE"
}

// days is the whole days from date from to date to.
func (d dialect) days(from, to string) string {
	if d.postgres {
		return "(" + to + " - " + from + ")" // date - date is an integer
	}
	return "date_diff('day', " + from + ", " + to + ")"
}

// finiteAmount says amount is a number (not NaN or infinite), given amount >= 0. On PostgreSQL it is a
// comparison of the column itself, which its statistics estimate (a cast's comparison is guessed to keep
// a third of the rows, which can tip a sharded plan towards pulling every row): NaN sorts above Infinity
// there, and an integer column has neither, nor a literal 'Infinity'.
func (d dialect) finiteAmount(amount string) string {
	switch {
	case d.postgres && d.integerAmount:
		return "true"
	case d.postgres:
		return amount + " < 'Infinity'"
	}
	return "isfinite(CAST(" + amount + " AS DOUBLE))"
}

// before says time column t is before date (a DATE literal): on PostgreSQL compared as it is, for the
// same reason as finiteAmount (a timestamp before a date's midnight is on an earlier day).
func (d dialect) before(t, date string) string {
	if d.postgres {
		return t + " < " + date
	}
	return "CAST(" + t + " AS DATE) < " + date
}

// firstAmount is the amount of the earliest day among the rows filter keeps (days are unique per
// customer: purchasesSQL sums each day's).
func (d dialect) firstAmount(filter string) string {
	if d.postgres {
		return "(array_agg(segrun_amount ORDER BY segrun_day) FILTER (WHERE " + filter + "))[1]"
	}
	return "arg_min(segrun_amount, segrun_day) FILTER (WHERE " + filter + ")"
}

// groupByEntityDay groups purchasesSQL's rows.
func (d dialect) groupByEntityDay() string {
	if d.postgres {
		return "GROUP BY 1, 2"
	}
	return "GROUP BY ALL"
}

// orderEntity is the order of customers the fit reads them in.
func (d dialect) orderEntity(col string) string {
	if d.postgres && d.textEntity {
		return col + ` COLLATE "C"`
	}
	return col
}

// purchasesSQL is the purchase days before asOf.
//
// The amounts are summed exactly, as DECIMAL(38,10) (amounts are rounded to 10 decimals, and must be
// below 10^28): DuckDB's parallel sum of doubles adds in whatever order its threads meet the rows, and
// the last bit that changes moved Gamma-Gamma's optimum (p, q and v are strongly correlated) in the 8th
// digit from run to run. Ordered aggregates (sum(amount ORDER BY ...)) fixed that too, at twice the
// summary's time on the Online Retail example.
func purchasesSQL(d dialect, b block, from, entity string, asOf time.Time) string {
	t, a := sql.Ident(b.Time), sql.Ident(b.Amount)
	return fmt.Sprintf(`SELECT %[1]s AS segrun_entity, CAST(%[2]s AS DATE) AS segrun_day, sum(CAST(%[3]s AS DECIMAL(38, 10))) AS segrun_amount
		FROM %[4]s
		WHERE %[2]s IS NOT NULL AND %[5]s AND %[3]s >= 0 AND %[6]s
		%[7]s`, sql.Ident(entity), t, a, sql.Ident(from), d.before(t, dateLiteral(asOf)), d.finiteAmount(a), d.groupByEntityDay())
}

// summarySQL is each customer's summary over the purchases before calEnd (the as-of date, or the
// calibration period's end), ordered by entity so that a fit sees its customers in one order run to run;
// with holdout, also the purchase days from calEnd to asOf.
func summarySQL(d dialect, b block, from, entity string, calEnd, asOf time.Time, holdout bool) string {
	cal := "segrun_day < " + dateLiteral(calEnd)
	unit := d.double(strconv.FormatFloat(unitDays[b.Unit], 'g', -1, 64))
	in := func(agg string) string { return agg + " FILTER (WHERE " + cal + ")" }
	hold := ""
	if holdout {
		hold = ", " + d.double(fmt.Sprintf("count(*) FILTER (WHERE NOT (%s))", cal)) + " AS holdout"
	}
	return fmt.Sprintf(`WITH purchases AS (%[1]s)
		SELECT segrun_entity AS %[2]s,
			%[3]s AS frequency,
			%[4]s / %[5]s AS recency,
			%[6]s / %[5]s AS age,
			coalesce(%[7]s
				/ nullif(%[8]s - 1, 0), 0) AS monetary_value%[9]s
		FROM purchases GROUP BY segrun_entity HAVING %[8]s > 0 ORDER BY %[10]s`,
		purchasesSQL(d, b, from, entity, asOf), sql.Ident(entity),
		d.double(in("count(*)")+" - 1"),
		d.days(in("min(segrun_day)"), in("max(segrun_day)")), unit,
		d.days(in("min(segrun_day)"), dateLiteral(calEnd)+" - 1"),
		d.double(in("sum(segrun_amount)")+" - "+d.firstAmount(cal)),
		in("count(*)"), hold, d.orderEntity("segrun_entity"))
}

// inputSQL counts the input's entities with a row before asOf (the customers the segmentation can see:
// a customer whose first row is later does not exist yet as of the run) and the rows before asOf, or
// without a time, that are no purchase. It counts per customer first (a GROUP BY customer, which a table
// sharded by customer runs on its shards, where count(DISTINCT customer) over the whole table would
// bring every row to one place), then the customers; the input has no row without an entity (the
// runner's countEntities refused it). A row is no purchase when its amount is NULL, negative or not
// finite, written without coalesce: postgres_fdw does not send an aggregate whose FILTER has one.
func inputSQL(d dialect, b block, from, entity string, asOf time.Time) string {
	t, a := sql.Ident(b.Time), sql.Ident(b.Amount)
	before := d.before(t, dateLiteral(asOf))
	return fmt.Sprintf(`SELECT %[1]s, %[2]s FROM (SELECT count(*) FILTER (WHERE %[3]s) AS segrun_before,
			count(*) FILTER (WHERE %[4]s IS NULL OR (%[3]s AND (%[5]s IS NULL OR %[5]s < 0 OR NOT (%[6]s)))) AS segrun_skipped
		FROM %[7]s GROUP BY %[8]s) segrun_customers`,
		d.double("count(*) FILTER (WHERE segrun_before > 0)"), d.double("coalesce(sum(segrun_skipped), 0)"),
		before, t, a, d.finiteAmount(a), sql.Ident(from), sql.Ident(entity))
}

func dateLiteral(d time.Time) string { return "DATE '" + d.Format(time.DateOnly) + "'" }

// summary is a summary read into Go: the Arrow batches (the entity in column 0, kept for writing the
// result) and the columns as floats.
type summary struct {
	batches []arrow.RecordBatch
	c       algorithms.CLVCustomers
	holdout []float64
}

func (s *summary) release() { methods.Release(s.batches) }

// readSummary runs a summary query and reads its columns.
func readSummary(a *sql.Arrow, query string, holdout bool) (*summary, error) {
	batches, _, err := methods.ReadBatches(a, query)
	if err != nil {
		return nil, err
	}
	return summaryOf(batches, holdout)
}

// summaryOf reads a summary's columns from its batches (column 0 a key, then summaryColumns, then
// holdout's), which it keeps, released with it.
func summaryOf(batches []arrow.RecordBatch, holdout bool) (*summary, error) {
	s := &summary{batches: batches}
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	cols := make([][]float64, len(summaryColumns)+1)
	width := len(summaryColumns)
	if holdout {
		width++
	}
	for c := range width {
		cols[c] = make([]float64, n)
		off := 0
		for _, b := range batches {
			if err := engine.FloatsInto(b.Column(1+c), cols[c][off:]); err != nil {
				s.release()
				return nil, err
			}
			off += int(b.NumRows())
		}
	}
	s.c = algorithms.CLVCustomers{RFT: algorithms.RFT{Frequency: cols[0], Recency: cols[1], T: cols[2]}, Monetary: cols[3]}
	s.holdout = cols[4]
	return s, nil
}
