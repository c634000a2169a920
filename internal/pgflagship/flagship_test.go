package pgflagship

import (
	"context"
	"math"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/segrun/segrun/examples"
	"gopkg.in/yaml.v3"
)

// features returns both specs' features, which must be the same list by name.
func features(t *testing.T) (duck, pg []Feature) {
	t.Helper()
	duck, err := Features(DuckDBSpec)
	if err != nil {
		t.Fatal(err)
	}
	pg, err = Features(PostgresSpec)
	if err != nil {
		t.Fatal(err)
	}
	if len(duck) != len(pg) {
		t.Fatalf("%s has %d features, %s %d", DuckDBSpec, len(duck), PostgresSpec, len(pg))
	}
	for i := range duck {
		if duck[i].Name != pg[i].Name {
			t.Fatalf("feature %d is %s in %s, %s in %s", i, duck[i].Name, DuckDBSpec, pg[i].Name, PostgresSpec)
		}
	}
	return duck, pg
}

// The PostgreSQL flagship reads the run's vars only from the vars table: getvariable is DuckDB's, and
// current_setting, now() and current_date are not shipped to shards (docs/engines.md).
func TestPostgresFeaturesReadVarsFromTheVarsTable(t *testing.T) {
	_, pg := features(t)
	notShipped := regexp.MustCompile(`(?i)getvariable|current_setting|now\(\)|current_date|current_timestamp`)
	for _, f := range pg {
		if m := notShipped.FindString(f.SQL); m != "" {
			t.Errorf("feature %s reads %s; read vars as (select as_of from segrun_vars)", f.Name, m)
		}
	}
}

// materializeAll materializes every feature at as_of on e, in spec order.
func materializeAll(t *testing.T, e engine, fs []Feature, asOf string) {
	t.Helper()
	e.prepare(t, asOf)
	for _, f := range fs {
		if err := e.materialize(f.Name, f.SQL); err != nil {
			t.Fatalf("feature %s as of %s: %v", f.Name, asOf, err)
		}
	}
}

// fetchFeature returns a materialized feature's table.
func fetchFeature(t *testing.T, e engine, name, asOf string) *Result {
	t.Helper()
	r, err := e.fetch("select * from " + name)
	if err != nil {
		t.Fatalf("feature %s as of %s: %v", name, asOf, err)
	}
	return r
}

// Every feature of the flagship gives the same table in PostgreSQL's dialect, on one server and on the
// sharded coordinator, as in DuckDB's dialect in process, at each as_of the demo computes: the same
// column names and types, the same rows (integers, decimals, text, booleans and dates exactly, doubles
// within DoubleTolerance). The data has what makes dialects disagree: refunds, customers whose orders
// all come after as_of, orders in the afternoon (whole days against calendar days), customers without a
// churn score; the test checks it has them. Tables are fetched one feature at a time, so that
// -pgflagship.customers=1000000 holds two of them in memory, not all.
func TestFlagshipFeaturesEqualOnDuckDBOneServerAndShards(t *testing.T) {
	pgs := servers(t)
	duckFeatures, pgFeatures := features(t)
	duck := newDuck(t)
	for _, asOf := range asOfs {
		materializeAll(t, duck, duckFeatures, asOf)
		checkCoverage(t, duck, asOf)
		for _, e := range pgs {
			materializeAll(t, e, pgFeatures, asOf)
		}
		for _, f := range duckFeatures {
			want := fetchFeature(t, duck, f.Name, asOf)
			for _, name := range []string{"one server", "shards"} {
				st, err := Compare(want, fetchFeature(t, pgs[name], f.Name, asOf))
				if err != nil {
					t.Errorf("as of %s, feature %s on %s: %v", asOf, f.Name, name, err)
					continue
				}
				if st.Rows < *customers/3 {
					t.Errorf("as of %s, feature %s has %d rows for %d customers: the data did not load", asOf, f.Name, st.Rows, *customers)
				}
				t.Logf("as of %s, %s on %s: %d rows equal, largest relative difference of a double %g", asOf, f.Name, name, st.Rows, st.MaxDoubleDiff)
			}
		}
	}
}

// checkCoverage fails the test when the data at as_of lacks a case the comparison is meant to meet.
func checkCoverage(t *testing.T, duck *duckEngine, asOf string) {
	t.Helper()
	var refunds, later, afternoon, unscored int64
	err := duck.ws.QueryRow(context.Background(), `select
		(select count(*) from orders where amount < 0 and ordered_at < getvariable('as_of')),
		(select count(*) from (select customer_id from orders group by 1 having min(ordered_at) >= getvariable('as_of'))),
		(select count(*) from rfm r join (select customer_id, max(ordered_at) m from orders
			where ordered_at < getvariable('as_of') and amount > 0 group by 1) o using (customer_id) where hour(o.m) >= 12),
		(select count(*) from rfm where customer_id not in (select customer_id from churn))`).Scan(&refunds, &later, &afternoon, &unscored)
	if err != nil {
		t.Fatal(err)
	}
	if refunds == 0 || later == 0 || afternoon == 0 || unscored == 0 {
		t.Errorf("as of %s the data has %d refunds, %d customers ordering only after as_of, %d last orders in an afternoon, %d customers without a churn score; the test wants some of each",
			asOf, refunds, later, afternoon, unscored)
	}
}

// The loaded tables are what DuckDB reads from the same files with the flagship's declared types: the
// same columns, types (by DuckDB's names) and rows, on one server. (The shards' customers table is
// pgtest's, whose birth_year is an integer; no feature reads it.)
func TestTablesLoadAsDuckDBReadsTheFiles(t *testing.T) {
	pg := servers(t)["one server"]
	duck := newDuck(t)
	for _, tb := range Tables {
		// campaign_orders has no key of its own: its rows are keyed by all their columns, in order.
		q := "select * from " + tb.Name
		if tb.Name == "campaign_orders" {
			q = "select 0 as k, * from campaign_orders"
		}
		if tb.Name == "orders" {
			q = "select order_id, * from orders"
		}
		want, err := duck.fetch(q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.fetch(strings.Replace(q, "from ", "from public.", 1))
		if err != nil {
			t.Fatal(err)
		}
		if tb.Name == "campaign_orders" {
			want.Types[0], got.Types[0] = "key", "key"
			for _, r := range [][][]any{want.Rows, got.Rows} {
				for _, row := range r {
					row[0] = show(row[1:])
				}
			}
		}
		st, err := Compare(want, got)
		if err != nil {
			t.Errorf("table %s: %v", tb.Name, err)
			continue
		}
		if st.Rows == 0 {
			t.Errorf("table %s is empty", tb.Name)
		}
	}
}

// mutation is a change to one PostgreSQL feature that a dialect difference invites; the comparison must
// catch each one.
type mutation struct {
	name, feature, old, new string
}

var mutations = []mutation{{
	name:    "an off-by-one day in the outcome window",
	feature: "outcomes", old: "interval '90 days'", new: "interval '89 days'",
}, {
	name:    "calendar days for recency (date minus date) instead of whole 24-hour days",
	feature: "rfm",
	old:     "cast(date_part('day', (select as_of from segrun_vars)::timestamp - max(ordered_at)) as bigint)",
	new:     "cast((select as_of from segrun_vars) - max(ordered_at)::date as bigint)",
}, {
	name:    "an off-by-one day in tenure",
	feature: "profile", old: "- c.signup_date as bigint", new: "- c.signup_date + 1 as bigint",
}, {
	name:    "integer division (PostgreSQL truncates bigint / bigint; DuckDB's / gives a double)",
	feature: "rfm",
	old:     "cast(sum(amount) as double precision) / count(distinct order_id)",
	new:     "cast(cast(sum(amount) as bigint) / count(distinct order_id) as double precision)",
}, {
	name:    "numeric without the cast (PostgreSQL's unconstrained NUMERIC where DuckDB has DECIMAL(38,2))",
	feature: "rfm", old: "cast(sum(amount) as numeric(38,2))", new: "sum(amount)",
}, {
	name:    "money rounded to whole units",
	feature: "outcomes", old: "cast(coalesce(sum(o.amount), 0) as numeric(38,2))", new: "cast(round(coalesce(sum(o.amount), 0)) as numeric(38,2))",
}, {
	name:    "a double off by 1e-9 relative, beyond the tolerance",
	feature: "lifecycle_input", old: "coalesce(c.churn_score, 0)", new: "coalesce(c.churn_score * (1 + 1e-9), 0)",
}, {
	name:    "NULL where DuckDB's coalesce gives 0",
	feature: "lifecycle_input", old: "coalesce(c.churn_score, 0)", new: "c.churn_score",
}, {
	name:    "the as_of day's orders counted before as_of",
	feature: "outcomes", old: "o.ordered_at >= (select as_of from segrun_vars)", new: "o.ordered_at > (select as_of from segrun_vars) + interval '1 day'",
}}

// The comparison fails when a feature's PostgreSQL SQL is changed in any of the ways a dialect invites
// (mutations), at the demo's last as_of on one server; and the unchanged features pass.
func TestComparisonCatchesDialectMistakes(t *testing.T) {
	pg := servers(t)["one server"]
	duckFeatures, pgFeatures := features(t)
	duck := newDuck(t)
	asOf := asOfs[len(asOfs)-1]
	materializeAll(t, duck, duckFeatures, asOf)
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			changed := make([]Feature, len(pgFeatures))
			copy(changed, pgFeatures)
			found := false
			for i, f := range changed {
				if f.Name == m.feature {
					if !strings.Contains(f.SQL, m.old) {
						t.Fatalf("feature %s no longer contains %q: update the mutation", f.Name, m.old)
					}
					changed[i].SQL = strings.Replace(f.SQL, m.old, m.new, 1)
					found = true
				}
			}
			if !found {
				t.Fatalf("no feature %s", m.feature)
			}
			materializeAll(t, pg, changed, asOf)
			_, err := Compare(fetchFeature(t, duck, m.feature, asOf), fetchFeature(t, pg, m.feature, asOf))
			if err == nil {
				t.Fatalf("feature %s changed (%s) still compares equal", m.feature, m.new)
			}
			t.Logf("caught: %v", err)
		})
	}
}

// Where each feature runs on the sharded coordinator, from EXPLAIN (VERBOSE): the per-customer
// aggregates over the sharded tables (rfm; outcomes, a co-located join of customers and orders) run on
// the shards, one statement per shard, one row per customer coming back; profile and lifecycle_input
// join the coordinator's materialized rfm (and churn) to customers, which must then come to the
// coordinator (docs/engines.md, "What pushes down"). A planner that changes its mind shows up here.
func TestWhereEachFeatureRunsOnTheShards(t *testing.T) {
	if sharded == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	e := newPG(t, sharded.Coordinator.DSN)
	_, pgFeatures := features(t)
	e.prepare(t, asOfs[len(asOfs)-1])
	for _, f := range pgFeatures {
		plan := explain(t, e.conn, f.SQL, false)
		scans := plan.ForeignScans()
		aggregated := 0
		for _, s := range scans {
			if strings.HasPrefix(s.Relations, "Aggregate on") {
				aggregated++
			}
			t.Logf("feature %s: %s: %s", f.Name, s.Relations, s.RemoteSQL)
		}
		onShards := aggregated == len(scans) && len(scans) > 0 && len(plan.LocalAggregates()) == 0
		want := f.Name == "rfm" || f.Name == "outcomes"
		if onShards != want {
			t.Errorf("feature %s: aggregated on the shards %v, want %v (%d Foreign Scans, %d of them aggregates)", f.Name, onShards, want, len(scans), aggregated)
		}
		if err := e.materialize(f.Name, f.SQL); err != nil {
			t.Fatal(err)
		}
	}
}

// The PostgreSQL flagship is the DuckDB one but for its engine, its sources' locations and its features'
// SQL (and the comments): the models, segmentations, KPIs, audiences and everything else must stay the
// same, so that a change to retail.yaml that is not made to retail_postgres.yaml fails here.
func TestPostgresFlagshipIsTheFlagship(t *testing.T) {
	read := func(file string) map[string]any {
		src, err := examples.Pipelines.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(src, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "engine")
		for _, s := range m["sources"].(map[string]any) {
			src := s.(map[string]any)
			delete(src, "path")
			delete(src, "table")
		}
		for _, f := range m["features"].(map[string]any) {
			delete(f.(map[string]any), "sql")
		}
		return m
	}
	duck, pg := read(DuckDBSpec), read(PostgresSpec)
	if _, ok := pg["engine"]; ok {
		t.Fatal("engine not removed")
	}
	for key := range duck {
		if !reflect.DeepEqual(duck[key], pg[key]) {
			t.Errorf("%s differs between %s and %s:\n%v\n%v", key, DuckDBSpec, PostgresSpec, duck[key], pg[key])
		}
	}
	for key := range pg {
		if _, ok := duck[key]; !ok {
			t.Errorf("%s has %s, which %s has not", PostgresSpec, key, DuckDBSpec)
		}
	}
}

// The flagship's KPIs over the outcomes feature, on the whole population, are the same on both engines.
// PostgreSQL's avg of an integer or a numeric is a numeric and DuckDB's a DOUBLE, so the values are
// compared as doubles, within DoubleTolerance (PostgreSQL's numeric average has at least 16 significant
// digits; DuckDB sums exactly and divides once).
func TestKPIsEqualOnBothEngines(t *testing.T) {
	pgs := servers(t)
	duckFeatures, pgFeatures := features(t)
	duck := newDuck(t)
	const kpis = "select 1 as k, avg(ordered_next_90d::int) as retention_90d, avg(revenue_next_90d) as revenue_90d from outcomes"
	for _, asOf := range asOfs {
		materializeAll(t, duck, duckFeatures, asOf)
		want, err := duck.fetch(kpis)
		if err != nil {
			t.Fatal(err)
		}
		for name, e := range pgs {
			materializeAll(t, e, pgFeatures, asOf)
			got, err := e.fetch(kpis)
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < len(want.Columns); i++ {
				w, g := asFloat(want.Rows[0][i]), asFloat(got.Rows[0][i])
				if same, _ := equal(w, g); !same || w == 0 {
					t.Errorf("as of %s on %s: %s = %v (%s), DuckDB %v (%s)", asOf, name, want.Columns[i], g, got.Types[i], w, want.Types[i])
				}
			}
		}
	}
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case *big.Rat:
		f, _ := x.Float64()
		return f
	}
	return math.NaN()
}
