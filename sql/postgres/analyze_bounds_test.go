package postgres

import "testing"

// Which reads of orders are bounded above by as_of on ordered_at, from PostgreSQL's parse tree (the same
// cases as DuckDB's TestTableRefsUpperBounds, in PostgreSQL's dialect, the var read from the vars table):
// without the bounds every read would count as unbounded, and a label_window model's leakage warning
// would fire on every feature on engine postgres.
func TestAnalyzeSQLUpperBounds(t *testing.T) {
	const asOf = "(select as_of from segrun_vars)"
	for _, c := range []struct {
		sql       string
		unbounded int
	}{
		// Bounded: WHERE, JOIN ... ON, flipped, <=, BETWEEN, an expression or cast of the var, qualified or not.
		{"select customer_id, count(*) from orders where ordered_at < " + asOf + " group by 1", 0},
		{"select o.customer_id from orders o join customers c on c.customer_id = o.customer_id and o.ordered_at < " + asOf, 0},
		{"select customer_id from orders where " + asOf + " > ordered_at and amount > 0", 0},
		{"select customer_id from orders o where o.ordered_at <= " + asOf + " - interval '1 day'", 0},
		{"select customer_id from orders where ordered_at between " + asOf + " - 90 and " + asOf, 0},
		{"select customer_id from customers c left join orders o on o.customer_id = c.customer_id and o.ordered_at < " + asOf + "::timestamp", 0},
		{"select customer_id from orders where orders.ordered_at < (select v.as_of from segrun_vars v)", 0},
		{"with recent as (select * from orders where ordered_at < " + asOf + ") select customer_id, count(*) from recent group by 1", 0},
		// Unbounded: no predicate; the var only in the select list; a lower bound only; an OR; the bound on
		// another table's column; another var; one of two reads; a subquery over the var table that is not
		// the vars table; a subquery's read bounded only outside it.
		{"select customer_id, count(*) from orders group by 1", 1},
		{"select customer_id, date_part('day', " + asOf + " - max(ordered_at)) as recency from orders group by 1", 1},
		{"select customer_id from orders where ordered_at >= " + asOf + " - 90", 1},
		{"select customer_id from orders where ordered_at < " + asOf + " or amount > 100", 1},
		{"select o.customer_id from orders o join returns r on r.order_id = o.order_id and r.ordered_at < " + asOf, 1},
		{"select customer_id from orders where ordered_at < (select cutoff from segrun_vars)", 1},
		{"select customer_id from orders where ordered_at < (select as_of from other_vars)", 1},
		{"select customer_id from orders where ordered_at < " + asOf + " union all select customer_id from orders", 1},
		{"select a.customer_id from orders a join orders b on b.customer_id = a.customer_id where a.ordered_at < " + asOf, 1},
		{"select * from (select customer_id, ordered_at from orders) o where o.ordered_at < " + asOf, 1},
		{"select customer_id from customers", 0},
	} {
		a, err := AnalyzeSQL(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		n := 0
		for _, r := range a.Tables {
			if r.Name == "orders" && !r.BoundedAbove("ordered_at", "as_of") {
				n++
			}
		}
		if n != c.unbounded {
			t.Errorf("%s: %d unbounded reads of orders, want %d", c.sql, n, c.unbounded)
		}
	}
}
