package runner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ruleTypeSpec is a pipeline whose feature has one column v, computed per customer (1 to 5) by an SQL
// expression, and one segmentation with one rule over it. The rule is on line 16, from column 16 (after its quote).
const ruleTypeSpec = `version: 1
name: shop
entity: customer_id
sources:
  orders: {path: data/orders.csv}
features:
  f:
    sql: |
      select customer_id, %s as v
      from orders group by customer_id
segmentations:
  s:
    from: f
    rules:
      - segment: hit
        when: %s
`

// Every type DuckDB can give a column either works in rules, with the value SQL has, or is a validation
// error at the rule naming the column and its type. A HUGEINT sum used to panic the run.
func TestRulesReadEveryDuckDBType(t *testing.T) {
	ts := func(typ string) string {
		return fmt.Sprintf("(TIMESTAMP '2024-01-01 10:00:00' + any_value(customer_id)::INTEGER * INTERVAL 1 DAY)::%s", typ)
	}
	cases := []struct {
		name, sql, rule string
		hits            string // the entities in segment hit, space-separated
		invalid         string // or the validation error
	}{
		{name: "TINYINT", sql: "(any_value(customer_id) * 10)::TINYINT", rule: "v >= 30", hits: "3 4 5"},
		{name: "SMALLINT", sql: "(any_value(customer_id) * 10)::SMALLINT", rule: "v >= 30", hits: "3 4 5"},
		{name: "INTEGER", sql: "(any_value(customer_id) * 10)::INTEGER", rule: "v >= 30", hits: "3 4 5"},
		{name: "BIGINT", sql: "(any_value(customer_id) * 10)::BIGINT", rule: "v >= 30 && v % 20 == 0", hits: "4"},
		{name: "UTINYINT", sql: "(any_value(customer_id) * 10)::UTINYINT", rule: "v >= 30", hits: "3 4 5"},
		{name: "USMALLINT", sql: "(any_value(customer_id) * 10)::USMALLINT", rule: "v >= 30", hits: "3 4 5"},
		{name: "UINTEGER", sql: "(any_value(customer_id) * 10)::UINTEGER", rule: "v >= 30", hits: "3 4 5"},
		{name: "UBIGINT", sql: "(any_value(customer_id) * 10)::UBIGINT", rule: "v >= 30", hits: "3 4 5"},
		// sum(BIGINT) is a HUGEINT: customers 1 to 5 have 4, 1, 2, 1, 1 orders.
		{name: "HUGEINT sum", sql: "sum(customer_id::BIGINT * 10)", rule: "v >= 40", hits: "1 3 4 5"},
		{name: "HUGEINT negative", sql: "-any_value(customer_id)::HUGEINT", rule: "v < -3", hits: "4 5"},
		{name: "HUGEINT in the VM", sql: "sum(customer_id::BIGINT * 10)", rule: "v % 3 == 0", hits: "3"},
		// DuckDB's Arrow export wraps a UHUGEINT from 2^127 up (2^128-1 arrives as -1): refused.
		{name: "UHUGEINT", sql: "any_value(customer_id)::UHUGEINT", rule: "v in [2, 5]", invalid: `column "v" has type UHUGEINT, which rules cannot read (convert it in SQL: e.g. v::HUGEINT, or v::DOUBLE)`},
		{name: "FLOAT", sql: "(any_value(customer_id) + 0.5)::FLOAT", rule: "v > 3.0 && v < 5.0", hits: "3 4"},
		{name: "DOUBLE", sql: "any_value(customer_id) / 4", rule: "v == 0.75", hits: "3"},
		{name: "DECIMAL(4,1)", sql: "(any_value(customer_id) / 10)::DECIMAL(4,1)", rule: "v == 0.3", hits: "3"},
		{name: "DECIMAL(9,2)", sql: "(any_value(customer_id) + 10.34)::DECIMAL(9,2)", rule: "v == 12.34", hits: "2"},
		{name: "DECIMAL(18,2)", sql: "(any_value(customer_id) + 10.34)::DECIMAL(18,2)", rule: "v == 12.34", hits: "2"},
		{name: "DECIMAL(18,2) in the VM", sql: "(any_value(customer_id) + 10.34)::DECIMAL(18,2)", rule: "abs(v - 12.34) < 0.001", hits: "2"},
		{name: "DECIMAL(38,2)", sql: "(any_value(customer_id) + 10.34)::DECIMAL(38,2)", rule: "v > 12.33 && v < 12.35", hits: "2"},
		{name: "DECIMAL(38,10) beyond 2^53", sql: "(any_value(customer_id) * 1e9 + 0.5)::DECIMAL(38,10)", rule: "v == 3000000000.5", hits: "3"},
		{name: "BOOLEAN", sql: "any_value(customer_id) > 3", rule: "v", hits: "4 5"},
		{name: "VARCHAR", sql: "'c' || any_value(customer_id)", rule: "v in ['c1', 'c4']", hits: "1 4"},
		{name: "ENUM", sql: "(CASE WHEN any_value(customer_id) > 3 THEN 'a' ELSE 'b' END)::ENUM('a', 'b')", rule: "v == 'a'", hits: "4 5"},
		{name: "UUID", sql: "('00000000-0000-0000-0000-00000000000' || any_value(customer_id))::UUID", rule: "v endsWith '3'", hits: "3"},
		{name: "DATE", sql: "DATE '2024-01-01' + any_value(customer_id)::INTEGER", rule: `v >= date("2024-01-04")`, hits: "3 4 5"},
		{name: "DATE against as_of", sql: "DATE '2024-02-25' + any_value(customer_id)::INTEGER", rule: "v < as_of", hits: "1 2 3 4"},
		{name: "DATE arithmetic", sql: "DATE '2024-02-25' + any_value(customer_id)::INTEGER", rule: `as_of - v >= duration("72h")`, hits: "1 2"},
		{name: "DATE infinity", sql: "CASE WHEN any_value(customer_id) = 2 THEN 'infinity'::DATE ELSE DATE '2024-01-01' END", rule: "v > as_of", hits: "2"},
		{name: "TIMESTAMP", sql: ts("TIMESTAMP"), rule: `v >= date("2024-01-04")`, hits: "3 4 5"},
		{name: "TIMESTAMP_S", sql: ts("TIMESTAMP_S"), rule: `v >= date("2024-01-04")`, hits: "3 4 5"},
		{name: "TIMESTAMP_MS", sql: ts("TIMESTAMP_MS"), rule: `v >= date("2024-01-04")`, hits: "3 4 5"},
		{name: "TIMESTAMP_NS", sql: ts("TIMESTAMP_NS"), rule: `v >= date("2024-01-04")`, hits: "3 4 5"},
		{name: "TIMESTAMP_NS against as_of", sql: ts("TIMESTAMP_NS"), rule: "v < as_of", hits: "1 2 3 4 5"},
		{name: "TIMESTAMP WITH TIME ZONE", sql: "TIMESTAMPTZ '2024-01-01 23:30:00+00' + any_value(customer_id)::INTEGER * INTERVAL 1 DAY",
			rule: `v < date("2024-01-04")`, hits: "1 2"},
		{name: "TIMESTAMP hour", sql: ts("TIMESTAMP"), rule: "v.Hour() == 10 && v.Day() == 3", hits: "2"},
		{name: "TIME", sql: "TIME '10:00:00'", rule: "v > 3", invalid: `column "v" has type TIME, which rules cannot read (convert it in SQL: e.g. hour(v)`},
		{name: "TIME WITH TIME ZONE", sql: "TIMETZ '10:00:00+01'", rule: "v > 3", invalid: `column "v" has type TIME WITH TIME ZONE, which rules cannot read`},
		{name: "INTERVAL", sql: "INTERVAL 3 DAY", rule: "v > 3", invalid: `column "v" has type INTERVAL, which rules cannot read (convert it in SQL: e.g. epoch(v)`},
		{name: "BLOB", sql: "'ab'::BLOB", rule: "v == 'ab'", invalid: `column "v" has type BLOB, which rules cannot read (convert it in SQL: e.g. v::VARCHAR)`},
		{name: "BIT", sql: "'101'::BIT", rule: "v == '101'", invalid: `column "v" has type BIT, which rules cannot read`},
		{name: "LIST", sql: "list(order_id)", rule: "len(v) > 1", invalid: `column "v" has type BIGINT[], which rules cannot read (convert it in SQL: e.g. len(v)`},
		{name: "ARRAY", sql: "[1, 2]::INTEGER[2]", rule: "len(v) > 1", invalid: `column "v" has type INTEGER[2], which rules cannot read`},
		{name: "STRUCT", sql: "{'x': 1}", rule: "v.x > 1", invalid: `column "v" has type STRUCT(x INTEGER), which rules cannot read (convert it in SQL: select the field`},
		{name: "MAP", sql: "MAP {'k': 1}", rule: "v['k'] > 1", invalid: `column "v" has type MAP(VARCHAR, INTEGER), which rules cannot read`},
		{name: "BIGNUM", sql: "1::VARINT", rule: "v > 1", invalid: `column "v" has type BIGNUM, which rules cannot read`},
		{name: "UNION", sql: "1::UNION(i INTEGER, s VARCHAR)", rule: "v > 1", invalid: `column "v" has type UNION(i INTEGER, s VARCHAR), which rules cannot read`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, fmt.Sprintf(ruleTypeSpec, c.sql, quoteYAML(c.rule)), fixtureOrders)
			res, err := f.run("2024-03-01", nil)
			if c.invalid != "" {
				if !errors.Is(err, ErrInvalidSpec) || res == nil || res.Validation == nil {
					t.Fatalf("want a validation error, got %v", err)
				}
				for _, d := range res.Validation.Diagnostics {
					if strings.Contains(d.Message, c.invalid) && d.Line == 16 && d.Column == 16+strings.Index(c.rule, "v") {
						return
					}
				}
				t.Fatalf("no error at 16:%d with %q among %v", 16+strings.Index(c.rule, "v"), c.invalid, res.Validation.Diagnostics)
			}
			if err != nil {
				if res != nil && res.Validation != nil {
					t.Fatalf("%v: %v", err, res.Validation.Diagnostics)
				}
				t.Fatal(err)
			}
			got := strings.Join(f.query(`SELECT entity FROM segrun_store.current_memberships WHERE segment = 'hit' ORDER BY entity::BIGINT`), " ")
			if got != c.hits {
				t.Errorf("entities in hit: %q, want %q", got, c.hits)
			}
		})
	}
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// A NaN is a missing value to rules, as NULL is: no rule matches it, whichever path evaluates the rule,
// and the run counts it among the rows skipped. DuckDB orders NaN above every number (NaN > 50 is true)
// and Go compares it false (so NaN != 3 was true): neither may decide a segment silently.
func TestRulesSkipNaNAsMissing(t *testing.T) {
	nan := "CASE WHEN any_value(customer_id) = 2 THEN 'nan'::%s ELSE any_value(customer_id) END"
	for _, c := range []struct{ typ, rule string }{
		{"DOUBLE", "v != 3"},      // a kernel
		{"DOUBLE", "abs(v) != 3"}, // the VM
		{"FLOAT", "v != 3"},
		{"FLOAT", "!(v > 50) && v != 3"},
	} {
		t.Run(c.typ+" "+c.rule, func(t *testing.T) {
			f := newFixture(t, fmt.Sprintf(ruleTypeSpec, fmt.Sprintf(nan, c.typ), quoteYAML(c.rule)), fixtureOrders)
			res := f.mustRun("2024-03-01", nil)
			got := strings.Join(f.query(`SELECT entity FROM segrun_store.current_memberships WHERE segment = 'hit' ORDER BY entity::BIGINT`), " ")
			if got != "1 4 5" {
				t.Errorf("entities in hit: %q, want \"1 4 5\" (2 is NaN)", got)
			}
			if r := res.Segmentations[0].Rules[0]; r.NullSkipped != 1 {
				t.Errorf("rule report %+v: want 1 row skipped", r)
			}
		})
	}
}

// A rule failing on a row is the data's fault, a Failure (exit 1) naming the segmentation, the rule, and
// the row; it was an error exit 3 calls a bug. So is a value beyond what rules compute with.
func TestRuleFailingOnARowIsAFailure(t *testing.T) {
	f := newFixture(t, fmt.Sprintf(ruleTypeSpec, "CASE WHEN any_value(customer_id) = 3 THEN 'x3' ELSE any_value(customer_id)::VARCHAR END",
		quoteYAML("int(v) > 3")), fixtureOrders)
	f.failsWith("2024-03-01", "segmentation s", `rule 1 (hit) "int(v) > 3" failed`, "customer_id=3, v=x3")

	f = newFixture(t, fmt.Sprintf(ruleTypeSpec, "CASE WHEN any_value(customer_id) = 2 THEN 170141183460469231731687303715884105727::HUGEINT ELSE 1 END",
		quoteYAML("v > 3")), fixtureOrders)
	f.failsWith("2024-03-01", "segmentation s", "column v: value 170141183460469231731687303715884105727 is beyond the 64-bit integers",
		"customer_id=2, v=170141183460469231731687303715884105727")

	f = newFixture(t, fmt.Sprintf(ruleTypeSpec, "CASE WHEN any_value(customer_id) = 4 THEN 18446744073709551615::UBIGINT ELSE 1 END",
		quoteYAML("v > 3")), fixtureOrders)
	f.failsWith("2024-03-01", "segmentation s", "column v: value 18446744073709551615 is beyond", "customer_id=4")
}

// date("2024-01-04") in a rule is midnight UTC, as DATE columns, date vars and as_of are, wherever the run
// happens (docs/spec.md promises it; expr parses in UTC unless given a zone). The examples of the docs'
// date section, on a TIMESTAMPTZ whose UTC day differs from Tokyo's.
func TestRuleDatesAreUTCWhereverTheRunHappens(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	local := time.Local
	time.Local = tokyo
	t.Cleanup(func() { time.Local = local })
	spec := strings.Replace(ruleTypeSpec, "name: shop\n", "name: shop\nvars:\n  launch: 2024-01-04\n", 1)
	for _, rule := range []string{`v < date("2024-01-04")`, "v < vars.launch", `v.Year() == 2024 && int(v.Weekday()) <= 3`, `as_of - v > duration("1360h")`} {
		f := newFixture(t, fmt.Sprintf(spec, "TIMESTAMPTZ '2024-01-01 23:30:00+00' + any_value(customer_id)::INTEGER * INTERVAL 1 DAY", quoteYAML(rule)), fixtureOrders)
		f.mustRun("2024-03-01", nil)
		got := strings.Join(f.query(`SELECT entity FROM segrun_store.current_memberships WHERE segment = 'hit' ORDER BY entity::BIGINT`), " ")
		if got != "1 2" {
			t.Errorf("%s: entities in hit: %q, want \"1 2\"", rule, got)
		}
	}
}
