package runner

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
)

const kpiEdgeSpec = `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      spend: {type: DOUBLE}
      orders: {type: BIGINT}
segmentations:
  value:
    from: customers
    rules: [{segment: big, when: "spend >= 100"}]
    else: small
kpis:
  avg_spend:
    from: customers
    value: avg(spend)
`

// KPIs over one table are computed in one statement: a failure in one of them was reported under the
// first's name ("kpi avg_spend: ... cannot take logarithm of zero"), sending the user to a KPI that is fine.
func TestFailingKPINamedItself(t *testing.T) {
	f := newFixture(t, kpiEdgeSpec+`  log_orders:
    from: customers
    value: min(ln(orders - 1))
`, "")
	f.write("data/customers.csv", "customer_id,spend,orders\n1,50,1\n2,150,3\n")
	_, err := f.run("2024-01-31", nil)
	var fail *Failure
	if !errors.As(err, &fail) || !strings.Contains(err.Error(), "kpi log_orders") || strings.Contains(err.Error(), "avg_spend") {
		t.Fatalf("error %v: want a failure naming kpi log_orders only", err)
	}
}

// An aggregate that is not a finite number (a division by 0.0) was stored as +Inf: the summary printed
// "+Inf (xNaN)", and every JSON reader of the version (run --format json, show and kpis --format json)
// failed with "json: unsupported value: +Inf", exit 3, after the version was published. Such a value is no
// value (shown "-"), and the run warns.
func TestInfiniteKPIIsNoValue(t *testing.T) {
	f := newFixture(t, kpiEdgeSpec+`  per_nothing:
    from: customers
    value: max(spend) / 0.0
`, "")
	f.write("data/customers.csv", "customer_id,spend,orders\n1,50,1\n2,150,3\n")
	res := f.mustRun("2024-01-31", nil)
	n := 0
	for _, v := range res.KPIs {
		if v.KPI == "per_nothing" {
			n++
			if v.Value != nil {
				t.Errorf("per_nothing, segment %q: value %v, want none", v.Segment, *v.Value)
			}
		} else if v.Value == nil {
			t.Errorf("%s, segment %q: no value", v.KPI, v.Segment)
		}
	}
	if n != 3 {
		t.Errorf("%d values of per_nothing, want 3 (the population, big, small)", n)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "kpi per_nothing") {
		t.Errorf("no warning about per_nothing: %q", res.Warnings)
	}
}

// A KPI of a segment whose members have no rows in its table is the aggregate over no rows, as SQL has it
// and as the population's already was: count(*) read 0 for the population and "-" (no value) for each
// segment, in the same version. Now count(*) is 0 everywhere there are no rows, sum and avg no value.
func TestKPIOverNoRowsIsTheAggregateOverNoRows(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      spend: {type: DOUBLE}
  orders:
    path: data/orders.csv
    columns:
      customer_id: {type: BIGINT}
      amount: {type: DOUBLE}
segmentations:
  value:
    from: customers
    rules: [{segment: big, when: "spend >= 100"}]
    else: small
kpis:
  n_orders:
    from: orders
    value: count(*)
  revenue:
    from: orders
    value: sum(amount)
`, "customer_id,amount\n2,10\n2,20\n")
	f.write("data/customers.csv", "customer_id,spend\n1,50\n2,150\n3,20\n")
	type key struct{ kpi, segment string }
	values := func(res *Result) map[key]string {
		out := map[key]string{}
		for _, v := range res.KPIs {
			s := "-"
			if v.Value != nil {
				s = strconv.FormatFloat(*v.Value, 'g', -1, 64)
			}
			out[key{v.KPI, v.Segment}] = s + "/" + strconv.FormatInt(v.Members, 10)
		}
		return out
	}
	// small's members (1 and 3) have no orders; big's (2) two.
	want := map[key]string{{"n_orders", ""}: "2/1", {"n_orders", "big"}: "2/1", {"n_orders", "small"}: "0/0",
		{"revenue", ""}: "30/1", {"revenue", "big"}: "30/1", {"revenue", "small"}: "-/0"}
	if got := values(f.mustRun("2024-01-31", nil)); !maps.Equal(got, want) {
		t.Errorf("some members with rows: %v, want %v", got, want)
	}
	// Nobody with a row: the population and every segment alike.
	f.write("data/orders.csv", "customer_id,amount\n9,10\n")
	want = map[key]string{{"n_orders", ""}: "0/0", {"n_orders", "big"}: "0/0", {"n_orders", "small"}: "0/0",
		{"revenue", ""}: "-/0", {"revenue", "big"}: "-/0", {"revenue", "small"}: "-/0"}
	if got := values(f.mustRun("2024-02-29", nil)); !maps.Equal(got, want) {
		t.Errorf("no member with rows: %v, want %v", got, want)
	}
}
