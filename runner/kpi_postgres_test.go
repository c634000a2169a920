package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// The cases the flagship's differential test does not meet, on both engines: a multi segmentation
// (profiles, drift and KPIs count an entity once per segment, its population once), KPIs over a table
// where a segment's members have no rows (SQL's aggregate over no rows: count(*) 0, avg none), a KPI over
// a table with several rows per entity, NULLs and ties in profiled and drifted columns (numbers and text),
// and a segment that is empty in the second version. Run twice (a second as_of moves customers) on
// DuckDB and on engine postgres, publishing: KPI values (within 1e-12), profiles (SD within 1e-12) and
// audit results are equal.
func TestKPIsProfilesAndAuditsOnPostgresEqualDuckDB(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const schema = "pgkpis_store"
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS pgkpis_shop CASCADE; DROP SCHEMA IF EXISTS `+schema+` CASCADE; CREATE SCHEMA pgkpis_shop;
		CREATE TABLE pgkpis_shop.customers (customer_id bigint NOT NULL, recency_days integer, frequency integer,
			monetary numeric(12,2), tenure double precision, country text);
		CREATE TABLE pgkpis_shop.events (customer_id bigint NOT NULL, amount numeric(12,2), kind text)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS pgkpis_shop CASCADE; DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	t.Setenv("SEGRUN_TEST_PGKPIS", srv.DSN)
	dir := t.TempDir()
	body := `
features:
  profile:
    sql: SELECT customer_id, recency_days, frequency, monetary, tenure, country FROM customers
segmentations:
  value:
    from: profile
    rules:
      - {segment: dormant, when: "recency_days > 300"}
      - {segment: high, when: "monetary >= 2000 && country != 'NL'"}
      - {segment: loyal, when: "frequency >= 8"}
    else: other
    profile: [recency_days, monetary, tenure, country]
    audits:
      - drift: {columns: [monetary, tenure, country]}
        severity: warn
      - size: {max_change: 0.2}
        severity: warn
      - kpi: {name: spend, max_change: 0.1}
        severity: warn
      - stability: {min_ari: 0.9}
        severity: warn
  tags:
    from: profile
    multi: true
    rules:
      - {segment: frequent, when: "frequency >= 6"}
      - {segment: big, when: "monetary >= 1500"}
      - {segment: german, when: "country == 'DE'"}
      - {segment: quiet, when: "recency_days > 390"}
    audits:
      - drift: {columns: [frequency, country], psi: 5}
      - size: {min: 0, max: 1}
kpis:
  spend:
    from: events
    value: avg(amount)
    format: currency
  n_events:
    from: events
    value: count(*)
  tenure:
    from: profile
    value: avg(tenure)
`
	duckSpec, pgSpec := filepath.Join(dir, "duck.yaml"), filepath.Join(dir, "pg.yaml")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(duckSpec, `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT}
      recency_days: {type: INTEGER}
      frequency: {type: INTEGER}
      monetary: {type: "DECIMAL(12,2)"}
      tenure: {type: DOUBLE}
      country: {type: VARCHAR}
  events:
    path: events.csv
    columns:
      customer_id: {type: BIGINT}
      amount: {type: "DECIMAL(12,2)"}
      kind: {type: VARCHAR}
`+body)
	write(pgSpec, `version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: SEGRUN_TEST_PGKPIS
store: postgres:`+schema+`
sources:
  customers:
    table: pgkpis_shop.customers
  events:
    table: pgkpis_shop.events
`+body)
	var results [2][]*Result
	for version, asOf := range []string{"2026-01-01", "2026-02-01"} {
		rows := pgwireCustomers(1500, version)
		var customers, events strings.Builder
		customers.WriteString("customer_id,recency_days,frequency,monetary,tenure,country\n")
		events.WriteString("customer_id,amount,kind\n")
		for i, r := range rows {
			customers.WriteString(strings.Join(r, ",") + "\n")
			// Dormant customers (recency over 300) have no events: their segment's KPIs are over no rows.
			if r[1] != "" && r[1] > "300" && len(r[1]) == 3 {
				continue
			}
			for k := range i%3 + version {
				events.WriteString(fmt.Sprintf("%s,%d.%02d,%s\n", r[0], (i*7+k*13)%500, (i+k)%100, []string{"web", "app", ""}[(i+k)%3]))
			}
		}
		write(filepath.Join(dir, "customers.csv"), customers.String())
		write(filepath.Join(dir, "events.csv"), events.String())
		for table, csv := range map[string]string{"customers": customers.String(), "events": events.String()} {
			if _, err := conn.Exec(ctx, "TRUNCATE pgkpis_shop."+table); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv), "COPY pgkpis_shop."+table+" FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
				t.Fatal(err)
			}
		}
		at, _ := time.Parse(time.DateOnly, asOf)
		for i, path := range []string{duckSpec, pgSpec} {
			res, err := Run(ctx, path, RunOptions{AsOf: at})
			if err != nil {
				if res != nil && res.Validation != nil {
					t.Fatalf("%s: %v\n%v", path, err, res.Validation.Diagnostics)
				}
				t.Fatalf("%s: %v", path, err)
			}
			if res.Outcome != OutcomePublished {
				t.Fatalf("%s: outcome %s (%s)", path, res.Outcome, res.Message)
			}
			results[i] = append(results[i], res)
		}
	}
	noRows := false
	for v := range 2 {
		duck, pg := results[0][v], results[1][v]
		if len(duck.KPIs) != len(pg.KPIs) || len(duck.KPIs) == 0 {
			t.Fatalf("version %d: %d KPI values on duckdb, %d on postgres", v+1, len(duck.KPIs), len(pg.KPIs))
		}
		for i, d := range duck.KPIs {
			p := pg.KPIs[i]
			if d.KPI == "spend" && d.Segment == "dormant" && d.Value == nil && d.Members == 0 {
				noRows = true
			}
			if d.KPI != p.KPI || d.Segmentation != p.Segmentation || d.Segment != p.Segment || d.Members != p.Members || !closeEnough(d.Value, p.Value) {
				t.Errorf("version %d: KPI %s %s %s: postgres %v (%d members), duckdb %v (%d members)", v+1, d.Segmentation, d.KPI, d.Segment,
					valueOf(p.Value), p.Members, valueOf(d.Value), d.Members)
			}
		}
		for i, d := range duck.Segmentations {
			p := pg.Segmentations[i]
			if d.Profiles == nil || p.Profiles == nil {
				t.Fatalf("version %d, %s: no profiles (duckdb %v, postgres %v)", v+1, d.Name, d.Profiles != nil, p.Profiles != nil)
			}
			if got, want := profileJSON(t, p.Profiles), profileJSON(t, d.Profiles); got != want {
				t.Errorf("version %d, %s: profiles differ\npostgres %s\nduckdb   %s", v+1, d.Name, got, want)
			}
			if got, want := sds(p.Profiles), sds(d.Profiles); len(got) != len(want) {
				t.Errorf("version %d, %s: %d SDs on postgres, %d on duckdb", v+1, d.Name, len(got), len(want))
			} else {
				for k, w := range want {
					if !closeEnough(w, got[k]) {
						t.Errorf("version %d, %s: SD of %s: postgres %v, duckdb %v", v+1, d.Name, k, valueOf(got[k]), valueOf(w))
					}
				}
			}
			a, _ := json.Marshal(p.Audits)
			b, _ := json.Marshal(d.Audits)
			if string(a) != string(b) || len(d.Audits) == 0 {
				t.Errorf("version %d, %s: audits differ\npostgres %s\nduckdb   %s", v+1, d.Name, a, b)
			}
			a, _ = json.Marshal(p.AuditBins)
			b, _ = json.Marshal(d.AuditBins)
			if string(a) != string(b) {
				t.Errorf("version %d, %s: drift bins differ\npostgres %s\nduckdb   %s", v+1, d.Name, a, b)
			}
		}
	}
	if !noRows {
		t.Error("no KPI over no rows was compared (dormant's spend)")
	}
	// The PostgreSQL store holds the KPI values as the run reported them.
	st, err := store.OpenPostgres(ctx, srv.DSN, schema, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.KPIValues(ctx, results[1][1].RunID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(results[1][1].KPIs) {
		t.Errorf("the store holds %d KPI values of version 2, the run reported %d", len(stored), len(results[1][1].KPIs))
	}
}

// closeEnough: both absent, or within 1e-12 relative (an SD, or a KPI's avg over DECIMAL, which each
// engine rounds in its own way: a numeric division then a cast, a long-double division).
func closeEnough(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b || math.Abs(*a-*b) <= 1e-12*math.Max(math.Abs(*a), math.Abs(*b))
}

func valueOf(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}

// profileJSON is a segmentation's profiles without their SDs (compared apart, sds).
func profileJSON(t *testing.T, p *methods.Profiles) string {
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var c methods.Profiles
	json.Unmarshal(b, &c)
	strip := func(sp *methods.SegmentProfile) {
		for col, n := range sp.Numbers {
			n.SD = nil
			sp.Numbers[col] = n
		}
	}
	strip(&c.Population)
	for i := range c.Segments {
		strip(&c.Segments[i])
	}
	b, _ = json.Marshal(c)
	return string(b)
}

func sds(p *methods.Profiles) map[string]*float64 {
	out := map[string]*float64{}
	for col, n := range p.Population.Numbers {
		out["(all) "+col] = n.SD
	}
	for _, sp := range p.Segments {
		for col, n := range sp.Numbers {
			out[sp.Segment+" "+col] = n.SD
		}
	}
	return out
}

// A KPI's value on engine postgres is checked with PostgreSQL's parser without a server (one expression,
// errors at its line and column) and typed on the server: a column outside an aggregate and a value that
// is no number are errors at the KPI's value.
func TestKPIValueCheckedOnPostgres(t *testing.T) {
	for _, c := range []struct{ expr, want string }{
		{"avg(amount)", ""},
		{"avg(flag::int) * 100", ""},
		{"count(*) FILTER (WHERE amount > 0)", ""},
		{"avg(amount) AS spend", "without a name (AS spend)"},
		{"avg(amount) FROM other", "syntax error"},
		{"avg(amount); DROP TABLE x", "one expression only"},
		{"(SELECT max(amount) FROM other)", "a subquery"},
		{"avg(amount", "syntax error at the end of the expression"},
		{"", "empty"},
	} {
		err := postgres.CheckExpression(c.expr)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.expr, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: %v, want %q", c.expr, err, c.want)
		}
	}

	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS kpicheck CASCADE; CREATE SCHEMA kpicheck;
		CREATE TABLE kpicheck.customers (customer_id bigint NOT NULL, amount numeric(12,2), flag boolean, country text)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS kpicheck CASCADE") })
	t.Setenv("SEGRUN_TEST_PGKPICHECK", srv.DSN)
	specFile := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(specFile, []byte(`version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: SEGRUN_TEST_PGKPICHECK
sources:
  customers:
    table: kpicheck.customers
segmentations:
  tiers:
    from: customers
    rules:
      - {segment: rich, when: "amount > 100"}
    else: others
kpis:
  good:
    from: customers
    value: avg(flag::int)
  loose:
    from: customers
    value: amount + 1
  text:
    from: customers
    value: max(country)
  typo:
    from: customers
    value: |
      avg(amout)
  parse:
    from: customers
    value: avg(amount) +
`), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Validate(ctx, specFile, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range v.Diagnostics {
		got = append(got, fmt.Sprintf("%d:%d %s %s", d.Line, d.Column, d.Code, d.Message))
	}
	text := strings.Join(got, "\n")
	for _, want := range []string{
		`22:12 kpi.value KPI "loose": value: must aggregate the members' rows (avg, sum, count, ...): column "amount" is outside any aggregate`,
		`25:12 kpi.type KPI "text": value is VARCHAR; a KPI is a number`,
		`29:11 kpi.value KPI "typo": value: column "amout" does not exist`,
		`kpi.value KPI "parse": value: syntax error at the end of the expression`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no diagnostic %q in\n%s", want, text)
		}
	}
	if strings.Contains(text, `"good"`) {
		t.Errorf("a valid KPI was refused:\n%s", text)
	}
	// Offline (the connection's variable unset) the value is still parsed: the syntax error is reported,
	// the errors only the server finds are not.
	src, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	offline := filepath.Join(t.TempDir(), "offline.yaml")
	if err := os.WriteFile(offline, []byte(strings.ReplaceAll(string(src), "SEGRUN_TEST_PGKPICHECK", "SEGRUN_TEST_PGKPICHECK_UNSET")), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err = Validate(ctx, offline, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range v.Diagnostics {
		if d.Severity == spec.Error {
			got = append(got, fmt.Sprintf("%d:%d %s", d.Line, d.Column, d.Message))
		}
	}
	if text := strings.Join(got, "\n"); len(got) != 1 || !strings.Contains(text, `KPI "parse": value: syntax error at the end of the expression`) {
		t.Errorf("offline, the errors are\n%s\nwant the parse error alone", text)
	}
}

// Above driftSampleRows rows both engines cut a number's drift bins from the same seeded sample, to the
// same edges, and count the same shares in them: the input of TestDriftDecilesFromASampleAboveItsSize,
// made in each engine.
func TestDriftSampleIsTheSameOnPostgres(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	const n = 3 * driftSampleRows
	duck, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	pg, err := postgres.Open(ctx, srv.DSN, "driftsample")
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, e := range []struct {
		db    sql.Workspace
		stmts []string
	}{
		{duck, []string{
			fmt.Sprintf("CREATE TABLE input AS SELECT i AS customer_id, ((i * 7919) %% %d)::DOUBLE AS x FROM range(%d) t(i)", n, n),
			"CREATE TABLE result AS SELECT customer_id, (['a', 'b', 'c'][(1 + customer_id % 3)::BIGINT])::ENUM('a', 'b', 'c') AS segment FROM input WHERE customer_id % 7 <> 0",
		}},
		{pg, []string{
			fmt.Sprintf("CREATE TABLE input AS SELECT i AS customer_id, CAST((i * 7919) %% %d AS DOUBLE PRECISION) AS x FROM generate_series(CAST(0 AS BIGINT), %d) i", n, n-1),
			"CREATE TABLE result AS SELECT customer_id, (ARRAY['a', 'b', 'c'])[1 + customer_id % 3] AS segment FROM input WHERE customer_id % 7 <> 0",
		}},
	} {
		for _, stmt := range e.stmts {
			if err := e.db.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got []string
	for _, postgres := range []bool{false, true} {
		db := sql.Workspace(duck)
		if postgres {
			db = pg
		}
		q := driftQuery{input: "input", result: "result", entity: "customer_id", integerEntity: true, postgres: postgres}
		bins, err := newDriftBins(ctx, db, q, []string{"x"}, []string{"number"})
		if err != nil {
			t.Fatal(err)
		}
		shares, err := driftShares(ctx, db, q, bins)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(bins[0].Edges, shares[0].Rows, shares[0].Shares, shares[0].Segments))
	}
	if got[0] != got[1] {
		t.Errorf("the drift bins differ\nduckdb   %s\npostgres %s", got[0], got[1])
	}
	if strings.HasPrefix(got[0], fmt.Sprint([]float64{0.1 * (n - 1)})[:4]) {
		t.Errorf("edges %s look exact: the sample was not taken", got[0])
	}
}
