// Package pgshards is the proof, on real servers, that segrun's features can run where sharded data lives
// (issue 17, docs/engines.md): the flagship's RFM feature, written in PostgreSQL's dialect and reading the
// run's as_of from the vars table, is planned by a postgres_fdw coordinator (internal/pgtest's Sharded) as
// one aggregate per shard, and gives the same answer as a single PostgreSQL server and as DuckDB. The tests
// hold the plan and the answers; scripts/benchshards times the three at scale.
package pgshards

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/internal/pgtest"
)

// RFMPostgres is the flagship's RFM feature (examples/pipelines/retail.yaml) in PostgreSQL's dialect. The
// run's as_of is read as `(SELECT as_of FROM segrun_vars)`, the vars table of the run's schema: the planner
// makes the scalar subquery an InitPlan, computed once on the coordinator, whose value postgres_fdw sends
// to each shard as a query parameter ($1), so the filter and the GROUP BY run there.
const RFMPostgres = `select customer_id,
       date_part('day', (select as_of from segrun_vars)::timestamp - max(ordered_at)) as recency_days,
       count(distinct order_id) as frequency,
       sum(amount) as monetary,
       sum(amount) / count(distinct order_id) as avg_order_value
from orders
where ordered_at < (select as_of from segrun_vars) and amount > 0
group by customer_id`

// RFMDuckDB is the same feature as the flagship writes it for DuckDB, reading as_of with getvariable.
const RFMDuckDB = `select customer_id,
       date_part('day', getvariable('as_of')::timestamp - max(ordered_at)) as recency_days,
       count(distinct order_id) as frequency,
       sum(amount) as monetary,
       sum(amount) / count(distinct order_id) as avg_order_value
from orders
where ordered_at < getvariable('as_of') and amount > 0
group by customer_id`

// RFMCurrentSetting is the feature with as_of read from a session setting, the form the vars table
// replaces: current_setting() is stable, not immutable, so postgres_fdw will not ship a filter on it, and
// every order row crosses to the coordinator to be filtered and aggregated there.
var RFMCurrentSetting = strings.ReplaceAll(RFMPostgres, "(select as_of from segrun_vars)", "current_setting('segrun.as_of')::date")

// VarsTableSQL creates the run's schema with its one-row vars table holding as_of, and puts the schema
// first on the search path, as the PostgreSQL engine does for a run (its schema is `segrun_run_<runid>`);
// it also sets segrun.as_of, which only RFMCurrentSetting, the counter-example, reads. The engine's own
// vars table (sql/postgres) replaces this once wired.
func VarsTableSQL(schema, asOf string) []string {
	return []string{
		fmt.Sprintf("CREATE SCHEMA %s", schema),
		fmt.Sprintf("CREATE TABLE %s.segrun_vars (as_of date NOT NULL)", schema),
		fmt.Sprintf("INSERT INTO %s.segrun_vars VALUES ('%s')", schema, asOf),
		fmt.Sprintf("SET search_path = %s, public", schema),
		fmt.Sprintf("SET segrun.as_of = '%s'", asOf),
	}
}

// Compared is how the engines' answers are compared: everything exact except the average order value.
// recency (whole days), frequency and monetary (in cents) are integers; avg_order_value is a quotient,
// computed by PostgreSQL in numeric (about 20 significant digits) and by DuckDB in double precision, so the
// two agree to within AvgTolerance relative.
func Compared(rfm string) string {
	return `select customer_id, cast(recency_days as bigint), frequency, cast(monetary * 100 as bigint),
       cast(avg_order_value as double precision) from (` + rfm + `) f order by customer_id`
}

// AvgTolerance bounds the relative difference of avg_order_value between engines: a double holds ~16
// significant digits, and the one division DuckDB makes in doubles is correctly rounded.
const AvgTolerance = 1e-12

// SingleServerSQL creates plain (unpartitioned) copies of the sharded tables in schema, the single-server
// PostgreSQL the sharded answers are compared with.
func SingleServerSQL(schema string) []string {
	stmts := []string{"CREATE SCHEMA " + schema}
	for _, t := range pgtest.ShardedTables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s.%s (%s)", schema, t.Name, t.Columns))
	}
	return stmts
}

// DuckDBLoadSQL loads the generated orders file into DuckDB with the flagship's declared types.
func DuckDBLoadSQL(ordersCSV string) string {
	return fmt.Sprintf(`create table orders as select * from read_csv('%s', header = true,
  columns = {'customer_id': 'BIGINT', 'order_id': 'BIGINT', 'ordered_at': 'TIMESTAMP', 'amount': 'DECIMAL(12,2)'})`,
		strings.ReplaceAll(ordersCSV, "'", "''"))
}
