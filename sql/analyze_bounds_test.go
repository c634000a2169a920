package sql

import (
	"context"
	"testing"
)

// Which reads of orders are bounded above by getvariable('as_of') on ordered_at: from the parse tree, not
// the text, so the words appearing elsewhere (the old text check's blind spot) do not count.
func TestTableRefsUpperBounds(t *testing.T) {
	db := openTest(t)
	for _, c := range []struct {
		sql       string
		unbounded int
	}{
		// Bounded: WHERE, JOIN ... ON, flipped, <=, BETWEEN, an expression of the variable, qualified or not.
		{"select customer_id, count(*) from orders where ordered_at < getvariable('as_of') group by 1", 0},
		{"select o.customer_id from orders o join customers c on c.customer_id = o.customer_id and o.ordered_at < getvariable('as_of')", 0},
		{"select customer_id from orders where getvariable('as_of') > ordered_at and amount > 0", 0},
		{"select customer_id from orders o where o.ordered_at <= getvariable('as_of') - interval 1 day", 0},
		{"select customer_id from orders where ordered_at between getvariable('as_of') - interval 90 day and getvariable('as_of')", 0},
		{"select customer_id from customers c left join orders o on o.customer_id = c.customer_id and o.ordered_at < cast(getvariable('as_of') as date)", 0},
		{"with recent as (select * from orders where ordered_at < getvariable('as_of')) select customer_id, count(*) from recent group by 1", 0},
		// Unbounded: no predicate; the words only in the select list (a recency over every row); a lower
		// bound only; an OR; the bound on another table's column; another variable; one of two reads.
		{"select customer_id, count(*) from orders group by 1", 1},
		{"select customer_id, date_diff('day', max(ordered_at), getvariable('as_of')) as recency from orders group by 1", 1},
		{"select customer_id from orders where ordered_at >= getvariable('as_of') - interval 90 day", 1},
		{"select customer_id from orders where ordered_at < getvariable('as_of') or amount > 100", 1},
		{"select o.customer_id from orders o join returns r on r.order_id = o.order_id and r.ordered_at < getvariable('as_of')", 1},
		{"select customer_id from orders where ordered_at < getvariable('cutoff')", 1},
		{"select customer_id from orders where ordered_at < getvariable('as_of') union all select customer_id from orders", 1},
		{"select a.customer_id from orders a join orders b on b.customer_id = a.customer_id where a.ordered_at < getvariable('as_of')", 1},
		// A subquery reads orders unbounded, whatever the outer query does.
		{"select * from (select customer_id, ordered_at from orders) o where o.ordered_at < getvariable('as_of')", 1},
		// Not the table: another table, a CTE named otherwise.
		{"select customer_id from customers", 0},
	} {
		a, err := db.Analyze(context.Background(), c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		var refs []TableRef
		for _, r := range a.Tables {
			if r.Name == "orders" && !r.BoundedAbove("ordered_at", "as_of") {
				refs = append(refs, r)
			}
		}
		if len(refs) != c.unbounded {
			t.Errorf("%s: %d unbounded reads %+v, want %d", c.sql, len(refs), refs, c.unbounded)
		}
	}
}
