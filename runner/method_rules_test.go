package runner

import "testing"

// Rules read an ENUM column as text (DuckDB hands it to Arrow dictionary-encoded).
func TestRulesReadEnumColumns(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: |
      select customer_id, (case when sum(amount) >= 400 then 'big' else 'small' end)::ENUM('big', 'small') as size
      from orders group by customer_id
segmentations:
  sized:
    from: spend
    rules:
      - {segment: big_spender, when: "size == 'big'"}
    else: other
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
	expectRows(t, "sized", f.query("SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'sized' ORDER BY entity"),
		`1 "other"`, `2 "other"`, `3 "big_spender"`, `4 "other"`, `5 "other"`)
}

// A segmentation's table holds its segment as an ENUM of its segment names, sorted so that ordering is
// the names' own, single-valued and multi alike; SQL reads it as text.
func TestSegmentationResultsAreEnumsOfTheirSegments(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: select customer_id, sum(amount) as monetary, count(*) as orders from orders group by customer_id
  typed:
    sql: |
      select s.customer_id, typeof(s.segment) as single, typeof(m.segment) as multi,
             s.segment = 'whale' or s.segment like 'm%' as text_compares
      from sized s join tagged m using (customer_id)
    tests:
      - assert: "single = 'ENUM(''minnow'', ''whale'')'"
      - assert: "multi = 'ENUM(''big'', ''frequent'', ''neither'')'"
      - assert: text_compares
segmentations:
  sized:
    from: spend
    rules:
      - {segment: whale, when: "monetary >= 400"}
    else: minnow
  tagged:
    from: spend
    multi: true
    rules:
      - {segment: frequent, when: "orders >= 2"}
      - {segment: big, when: "monetary >= 100"}
    else: neither
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
}

// A rules segmentation without else leaves the entities no rule matched out of its table, for the SQL that
// reads it as well as for the store (the table is written through an Arrow view, whose WHERE DuckDB used
// to drop: TestArrowViewFilters).
func TestUnmatchedEntitiesAreNotInTheSegmentationTable(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: select customer_id, sum(amount) as monetary from orders group by customer_id
  big_spenders:
    sql: select customer_id, segment from big
    tests:
      - not_null: [segment]
      - row_count: {min: 1, max: 1}
segmentations:
  big:
    from: spend
    rules:
      - {segment: big, when: "monetary >= 400"}
  reread:
    from: big_spenders
    rules:
      - {segment: still_big, when: "segment == 'big'"}
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
	expectRows(t, "reread", f.query("SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'reread'"), `3 "still_big"`)
}
