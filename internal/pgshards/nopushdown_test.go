package pgshards

import (
	"context"
	"strings"
	"testing"
)

// What does not run on the shards, documented by the plans PostgreSQL 15 makes (docs/engines.md, "What
// pushes down"). Each case is the RFM feature changed in one way; each either keeps the aggregate on the
// shards or brings the orders' rows to the coordinator, and the test says which, so a planner that changes
// its mind shows up here.
func TestWhatDoesNotPushDown(t *testing.T) {
	conn := coordinator(t)
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE " + runSchema + ".vip AS SELECT customer_id FROM single.customers WHERE customer_id % 10 = 0",
		// A function of the coordinator's own: postgres_fdw ships only built-in functions and those of the
		// extensions a foreign server's `extensions` option lists. (A LANGUAGE sql function simple enough
		// to be inlined would ship: the planner replaces the call by its body before postgres_fdw looks.)
		"CREATE FUNCTION " + runSchema + ".cents(numeric) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS 'BEGIN RETURN ($1 * 100)::bigint; END'",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var positive float64
	if err := conn.QueryRow(ctx, "select count(*) from single.orders where amount > 0").Scan(&positive); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, query string
		// set is a session setting for this case only
		set, value string
		// pushed: the aggregate runs on the shards
		pushed bool
		// remote: what each shard's Remote SQL must contain
		remote string
		// rows: when not zero, the rows EXPLAIN ANALYZE counts leaving the Foreign Scans
		rows float64
	}{{
		// current_setting() is stable, not immutable: the as_of filter stays on the coordinator, so every
		// order with a positive amount crosses, and the aggregate (still per partition) runs there.
		name:   "as_of from current_setting",
		query:  RFMCurrentSetting,
		remote: "WHERE ((amount > 0::numeric))",
		rows:   positive,
	}, {
		// A join to a table that lives only on the coordinator (a list uploaded for the run) must happen
		// there, before the GROUP BY: the shards send their filtered orders.
		name:   "join to a local table",
		query:  strings.Replace(RFMPostgres, "from orders", "from orders join vip using (customer_id)", 1),
		remote: "ordered_at < $",
	}, {
		name:   "a function of the coordinator's own",
		query:  strings.Replace(RFMPostgres, "sum(amount) as monetary", "sum(cents(amount)) as monetary", 1),
		remote: "ordered_at < $",
	}, {
		// Without partition-wise aggregation the planner aggregates the Append of all partitions.
		name:  "enable_partitionwise_aggregate off",
		query: RFMPostgres,
		set:   "enable_partitionwise_aggregate",
		value: "off",
	}, {
		// orders and customers are partitioned alike and each shard holds both halves of its customers:
		// the join and the GROUP BY run on the shard, one statement per shard. (Pushing an aggregate is
		// the planner's costed choice: grouping by customer_id and country instead, with count(distinct),
		// it aggregated locally over the shards' joined rows, its estimate of a two-column GROUP BY being
		// poor. One key per customer, as segrun's features group, is what it estimates well.)
		name: "join of two co-located sharded tables",
		query: `select o.customer_id, max(c.country) as country, count(distinct o.order_id) as frequency
from orders o join customers c on c.customer_id = o.customer_id
where o.ordered_at < (select as_of from segrun_vars)
group by o.customer_id`,
		pushed: true,
		remote: "INNER JOIN",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.set != "" {
				if _, err := conn.Exec(ctx, "SET "+c.set+" = "+c.value); err != nil {
					t.Fatal(err)
				}
				defer conn.Exec(ctx, "RESET "+c.set)
			}
			plan := explain(t, conn, c.query, c.rows != 0)
			why := pushedDown(plan)
			if c.pushed && why != "" {
				t.Fatalf("expected the aggregate on the shards: %s", why)
			}
			if !c.pushed && why == "" {
				t.Fatalf("expected the coordinator to aggregate, but the plan pushes the aggregate down: %+v", plan)
			}
			if !c.pushed && len(plan.LocalAggregates()) == 0 {
				t.Errorf("not pushed down (%s), yet no Aggregate above the Foreign Scans: %+v", why, plan)
			}
			for _, s := range plan.ForeignScans() {
				if !strings.Contains(s.RemoteSQL, c.remote) {
					t.Errorf("Remote SQL %q lacks %q", s.RemoteSQL, c.remote)
				}
			}
			if c.rows != 0 {
				if got := plan.RowsFromShards(); got != c.rows {
					t.Errorf("%v rows came from the shards, want %v", got, c.rows)
				}
			}
			t.Logf("%s", why)
		})
	}
}
