package pgshards

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
)

// explain is Explain, failing the test on an error.
func explain(t *testing.T, conn *pgx.Conn, query string, analyze bool) PlanNode {
	t.Helper()
	plan, err := Explain(context.Background(), conn, query, analyze)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// asOfParam is the as_of filter as postgres_fdw ships it: a comparison with a query parameter, the value of
// the coordinator's InitPlan over segrun_vars.
var asOfParam = regexp.MustCompile(`ordered_at < \$\d+::date`)

// pushedDown says why plan does not run the RFM aggregate on the shards, or "" when it does: one Foreign
// Scan per shard, each shipping the GROUP BY and the as_of filter (a parameter), nothing filtered or
// aggregated on the coordinator over the orders' rows.
func pushedDown(plan PlanNode) string {
	scans := plan.ForeignScans()
	if len(scans) != pgtest.ShardCount {
		return "the plan has " + strconv.Itoa(len(scans)) + " Foreign Scans, want one per shard"
	}
	for _, s := range scans {
		switch {
		case !strings.Contains(s.RemoteSQL, "GROUP BY"):
			return "a shard's Remote SQL has no GROUP BY: " + s.RemoteSQL
		case !asOfParam.MatchString(s.RemoteSQL):
			return "a shard's Remote SQL does not filter on as_of as a parameter: " + s.RemoteSQL
		case s.Filter != "":
			return "the coordinator filters a shard's rows: " + s.Filter
		case !strings.HasPrefix(s.Relations, "Aggregate on"):
			return "a Foreign Scan is not an aggregate: " + s.Relations
		}
	}
	if aggs := plan.LocalAggregates(); len(aggs) > 0 {
		return "the coordinator aggregates rows from the shards (" + strconv.Itoa(len(aggs)) + " Aggregate nodes above Foreign Scans)"
	}
	return ""
}

// The flagship's RFM feature, materialised as the engine materialises features (CREATE TABLE AS in the
// run's schema), runs on the shards: each shard aggregates its own customers' orders, filtered by the
// run's as_of, and only one row per customer comes back.
func TestRFMRunsOnTheShards(t *testing.T) {
	conn := coordinator(t)
	for name, query := range map[string]string{
		"select":          RFMPostgres,
		"create table as": "CREATE UNLOGGED TABLE " + runSchema + ".rfm AS " + RFMPostgres,
	} {
		t.Run(name, func(t *testing.T) {
			plan := explain(t, conn, query, false)
			if why := pushedDown(plan); why != "" {
				t.Fatalf("%s\nplan: %+v", why, plan)
			}
		})
	}
	// The rows that crossed: as many as customers with an order before as_of, not the orders themselves.
	plan := explain(t, conn, RFMPostgres, true)
	var customers, orders float64
	if err := conn.QueryRow(context.Background(), `select count(distinct customer_id), count(*) from single.orders
		where ordered_at < date '`+testAsOf+`' and amount > 0`).Scan(&customers, &orders); err != nil {
		t.Fatal(err)
	}
	if got := plan.RowsFromShards(); got != customers {
		t.Errorf("%v rows came from the shards, want one per customer (%v; the orders are %v)", got, customers, orders)
	}
}
