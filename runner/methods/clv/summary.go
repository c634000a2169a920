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

// purchasesSQL is the purchase days before asOf.
//
// The amounts are summed exactly, as DECIMAL(38,10) (amounts are rounded to 10 decimals, and must be
// below 10^28): DuckDB's parallel sum of doubles adds in whatever order its threads meet the rows, and
// the last bit that changes moved Gamma-Gamma's optimum (p, q and v are strongly correlated) in the 8th
// digit from run to run. Ordered aggregates (sum(amount ORDER BY ...)) fixed that too, at twice the
// summary's time on the Online Retail example.
func purchasesSQL(b block, from, entity string, asOf time.Time) string {
	t, a := sql.Ident(b.Time), sql.Ident(b.Amount)
	return fmt.Sprintf(`SELECT %[1]s AS segrun_entity, CAST(%[2]s AS DATE) AS segrun_day, sum(CAST(%[3]s AS DECIMAL(38, 10))) AS segrun_amount
		FROM %[4]s
		WHERE %[2]s IS NOT NULL AND CAST(%[2]s AS DATE) < %[5]s AND %[3]s >= 0 AND isfinite(CAST(%[3]s AS DOUBLE))
		GROUP BY ALL`, sql.Ident(entity), t, a, sql.Ident(from), dateLiteral(asOf))
}

// summarySQL is each customer's summary over the purchases before calEnd (the as-of date, or the
// calibration period's end), ordered by entity so that a fit sees its customers in one order run to run;
// with holdout, also the purchase days from calEnd to asOf.
func summarySQL(b block, from, entity string, calEnd, asOf time.Time, holdout bool) string {
	cal := "segrun_day < " + dateLiteral(calEnd)
	unit := strconv.FormatFloat(unitDays[b.Unit], 'g', -1, 64) + "::DOUBLE"
	hold := ""
	if holdout {
		hold = fmt.Sprintf(", count(*) FILTER (WHERE NOT (%s))::DOUBLE AS holdout", cal)
	}
	return fmt.Sprintf(`WITH purchases AS (%[1]s)
		SELECT segrun_entity AS %[2]s,
			(count(*) FILTER (WHERE %[3]s) - 1)::DOUBLE AS frequency,
			date_diff('day', min(segrun_day) FILTER (WHERE %[3]s), max(segrun_day) FILTER (WHERE %[3]s)) / %[4]s AS recency,
			date_diff('day', min(segrun_day) FILTER (WHERE %[3]s), %[5]s - 1) / %[4]s AS age,
			coalesce(CAST(sum(segrun_amount) FILTER (WHERE %[3]s) - arg_min(segrun_amount, segrun_day) FILTER (WHERE %[3]s) AS DOUBLE)
				/ nullif(count(*) FILTER (WHERE %[3]s) - 1, 0), 0) AS monetary_value%[6]s
		FROM purchases GROUP BY segrun_entity HAVING count(*) FILTER (WHERE %[3]s) > 0 ORDER BY segrun_entity`,
		purchasesSQL(b, from, entity, asOf), sql.Ident(entity), cal, unit, dateLiteral(calEnd), hold)
}

// inputSQL counts the input's entities with a row before asOf (the customers the segmentation can see:
// a customer whose first row is later does not exist yet as of the run) and the rows before asOf, or
// without a time, that are no purchase.
func inputSQL(b block, from, entity string, asOf time.Time) string {
	t, a := sql.Ident(b.Time), sql.Ident(b.Amount)
	return fmt.Sprintf(`SELECT count(DISTINCT %[5]s) FILTER (WHERE CAST(%[2]s AS DATE) < %[4]s)::DOUBLE,
		count(*) FILTER (WHERE %[2]s IS NULL OR (CAST(%[2]s AS DATE) < %[4]s AND NOT coalesce(%[3]s >= 0 AND isfinite(CAST(%[3]s AS DOUBLE)), false)))::DOUBLE
		FROM %[1]s`, sql.Ident(from), t, a, dateLiteral(asOf), sql.Ident(entity))
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
