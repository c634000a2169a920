package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// fixture is a pipeline in a temporary directory.
type fixture struct {
	t    *testing.T
	dir  string
	spec string
}

// Orders of five customers. As of 2024-03-01: 1 has 3 recent orders (champions), 2 one recent order
// (regulars), 3 only old orders (lapsed), 4 a recent order of NULL amount, 5 no order before March.
const fixtureOrders = `customer_id,order_id,ordered_at,amount
1,1,2024-02-20 10:00:00,50.00
1,2,2024-02-25 10:00:00,60.00
1,3,2024-02-28 10:00:00,70.00
2,4,2024-02-15 09:00:00,20.00
3,5,2023-01-10 12:00:00,500.00
4,6,2024-02-10 08:00:00,
5,7,2024-03-15 08:00:00,30.00
1,8,2024-05-01 10:00:00,40.00
3,9,2024-05-20 10:00:00,45.00
`

const fixtureSpec = `version: 1
name: shop
entity: customer_id
vars:
  champion_orders: 3
sources:
  orders:
    path: data/orders.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      order_id: {type: BIGINT}
      ordered_at: {type: TIMESTAMP}
      amount: {type: DOUBLE}
features:
  rfm:
    sql: |
      select customer_id,
             date_part('day', getvariable('as_of')::timestamp - max(ordered_at)) as recency_days,
             count(*) as frequency,
             sum(amount) as monetary
      from orders where ordered_at < getvariable('as_of')
      group by customer_id
    tests:
      - unique: customer_id
segmentations:
  lifecycle:
    from: rfm
    rules:
      - {segment: champions, when: "recency_days <= 30 && frequency >= vars.champion_orders"}
      - {segment: big, when: "monetary >= 400"}
      - {segment: lapsed, when: "recency_days > 365"}
    else: regulars
  tags:
    from: rfm
    multi: true
    rules:
      - {segment: recent, when: "recency_days <= 30"}
      - {segment: spender, when: "monetary > 55"}
exports:
  - {segmentation: lifecycle, path: out/lifecycle.csv}
  - {segmentation: lifecycle, path: out/changes.jsonl, changes: true}
`

func newFixture(t *testing.T, specText, orders string) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "shop.yaml")}
	f.write("shop.yaml", specText)
	f.write("data/orders.csv", orders)
	return f
}

func (f *fixture) write(name, text string) {
	f.t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) read(name string) string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func (f *fixture) run(asOf string, mod func(*RunOptions)) (*Result, error) {
	f.t.Helper()
	o := RunOptions{AsOf: date(asOf), Version: "test"}
	if mod != nil {
		mod(&o)
	}
	return Run(context.Background(), f.spec, o)
}

func (f *fixture) mustRun(asOf string, mod func(*RunOptions)) *Result {
	f.t.Helper()
	res, err := f.run(asOf, mod)
	if err != nil {
		if res != nil && res.Validation != nil {
			f.t.Fatalf("run %s: %v: %v", asOf, err, res.Validation.Diagnostics)
		}
		f.t.Fatalf("run %s: %v", asOf, err)
	}
	return res
}

// query reads the store with a fresh read-only attach, as any later command would.
func (f *fixture) query(q string) []string {
	f.t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	defer db.Close()
	if _, err := store.Attach(ctx, db, filepath.Join(f.dir, "segrun.duckdb"), store.ReadOnly, 0); err != nil {
		f.t.Fatal(err)
	}
	// As a user would: the memberships_as_of macro binds its tables in the default database.
	if err := db.Exec(ctx, "USE "+store.Catalog); err != nil {
		f.t.Fatal(err)
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
	_, values, err := sql.ScanAll(rows)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, vals := range values {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = sql.FormatValue(v)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func expectRows(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestRunPublishesVersionsWithChangeLogs(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	r1 := f.mustRun("2024-03-01", nil)
	if r1.Outcome != OutcomePublished || r1.RunID != 1 || r1.BaseRun != 0 {
		t.Fatalf("first run: %+v", r1)
	}
	// 4 has a NULL monetary: it skips "big" (reached, since it is not a champion) and lands in else.
	expectRows(t, "version 1", f.query(`SELECT entity, segment FROM segrun_store.memberships_as_of(1) WHERE segmentation = 'lifecycle' ORDER BY entity`),
		`1 "champions"`, `2 "regulars"`, `3 "big"`, `4 "regulars"`)
	lc := r1.Segmentations[0]
	if lc.Rules[1].NullSkipped != 1 || lc.Rules[0].NullSkipped != 0 {
		t.Errorf("null skipped: %+v", lc.Rules)
	}
	expectRows(t, "multi segmentation: every matching rule", f.query(`SELECT entity, segment FROM segrun_store.memberships_as_of(1) WHERE segmentation = 'tags' ORDER BY entity, segment`),
		`1 "recent"`, `1 "spender"`, `2 "recent"`, `3 "spender"`, `4 "recent"`)

	// As of June: 1 ordered once more in May (4 orders, recent: champions); 2 and 4 stay regulars; 3 ordered
	// in May (big by monetary 545); 5 appears (regulars).
	r2 := f.mustRun("2024-06-01", nil)
	if r2.RunID != 2 || r2.BaseRun != 1 {
		t.Fatalf("second run: %+v", r2)
	}
	expectRows(t, "current memberships", f.query(`SELECT entity, segment, since_run FROM segrun_store.current_memberships WHERE segmentation = 'lifecycle' ORDER BY entity`),
		`1 "champions" 1`, `2 "regulars" 1`, `3 "big" 1`, `4 "regulars" 1`, `5 "regulars" 2`)
	expectRows(t, "change log of version 2", f.query(`SELECT entity, segment, event FROM segrun_store.changes WHERE run_id = 2 AND segmentation = 'lifecycle' ORDER BY entity`),
		`5 "regulars" "entered"`)
	// Tags: 1 stays recent (May 1 10:00 to June 1 is 30 days and 14 hours: 30 whole days); 2 and 4 leave
	// recent; 3 ordered on May 20 and becomes recent; 5 matches nothing.
	expectRows(t, "moves in tags", f.query(`SELECT entity, from_segment, to_segment FROM segrun_store.moves WHERE run_id = 2 AND segmentation = 'tags' ORDER BY entity, from_segment`),
		`2 "recent" NULL`, `3 NULL "recent"`, `4 "recent" NULL`)
	// 4 + 5 lifecycle rows, 5 + 1 tags rows; the two tags that ended are closed, not copied.
	expectRows(t, "intervals: storage grows with changes", f.query(`SELECT count(*), count(valid_to_run) FROM segrun_store.memberships`),
		"11 2")
	expectRows(t, "segment stats", f.query(`SELECT segment, size, entered, exited, stayed FROM segrun_store.segments WHERE run_id = 2 AND segmentation = 'lifecycle' ORDER BY segment`),
		`"big" 1 0 0 1`, `"champions" 1 0 0 1`, `"regulars" 3 1 0 2`)
	expectRows(t, "transitions", f.query(`SELECT coalesce(from_segment, '-'), to_segment, entities FROM segrun_store.transitions WHERE run_id = 2 AND segmentation = 'lifecycle' ORDER BY 1, 2`),
		`"-" "regulars" 1`, `"big" "big" 1`, `"champions" "champions" 1`, `"regulars" "regulars" 2`)
	// Multi-valued: rows are (entity, segment) pairs; 3 joins recent, 2 and 4 leave it; 1 and 3 are the
	// two entities with a segment.
	expectRows(t, "multi segment stats", f.query(`SELECT segment, size, entered, exited, stayed FROM segrun_store.segments WHERE run_id = 2 AND segmentation = 'tags' ORDER BY segment`),
		`"recent" 2 1 2 1`, `"spender" 2 0 0 2`)
	expectRows(t, "multi assigned", f.query(`SELECT assigned FROM segrun_store.segmentation_versions WHERE run_id = 2 AND segmentation = 'tags'`), "2")
	if d := r2.Segmentations[1].Diff; d == nil || d.Entered != 1 || d.Exited != 2 || len(d.Transitions) != 0 {
		t.Errorf("tags diff: %+v", d)
	}
	runs := f.query(`SELECT run_id, status, as_of, segrun_version, json_array_length(sources) FROM segrun_store.runs ORDER BY run_id`)
	expectRows(t, "runs", runs, `1 "published" 2024-03-01 "test" 1`, `2 "published" 2024-06-01 "test" 1`)

	csv, err := os.ReadFile(filepath.Join(f.dir, "out/lifecycle.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "customer_id,segment\n1,champions\n2,regulars\n3,big\n4,regulars\n5,regulars\n"; string(csv) != want {
		t.Errorf("export:\n%s\nwant\n%s", csv, want)
	}
	jsonl, _ := os.ReadFile(filepath.Join(f.dir, "out/changes.jsonl"))
	if want := `{"customer_id":5,"segment":"regulars","event":"entered"}` + "\n"; string(jsonl) != want {
		t.Errorf("changes export: %q, want %q", jsonl, want)
	}
}

func TestRunKeysMakeRetriesSafe(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.mustRun("2024-03-01", func(o *RunOptions) { o.RunKey = "2024-03-01" })
	again := f.mustRun("2024-03-01", func(o *RunOptions) { o.RunKey = "2024-03-01" })
	if again.Outcome != OutcomeUnchanged || again.RunID != 1 || !strings.Contains(again.Message, "already published") {
		t.Fatalf("retry: %+v", again)
	}
	f.mustRun("2024-06-01", func(o *RunOptions) { o.RunKey = "2024-06-01" })
	// Replacing the latest version with different data: the new version compares with version 1.
	f.write("data/orders.csv", fixtureOrders+"2,10,2024-05-30 10:00:00,900.00\n")
	r := f.mustRun("2024-06-01", func(o *RunOptions) { o.RunKey = "2024-06-01"; o.Force = true })
	if r.RunID != 3 || r.Replaced != 2 || r.BaseRun != 1 {
		t.Fatalf("force: %+v", r)
	}
	expectRows(t, "runs", f.query(`SELECT run_id, status, coalesce(replaced_by, 0) FROM segrun_store.runs ORDER BY run_id`),
		`1 "published" 0`, `2 "replaced" 3`, `3 "published" 0`)
	expectRows(t, "memberships after replacement", f.query(`SELECT entity, segment, valid_from_run, coalesce(valid_to_run, 0) FROM segrun_store.memberships WHERE segmentation = 'lifecycle' ORDER BY entity, valid_from_run`),
		`1 "champions" 1 0`, `2 "regulars" 1 3`, `2 "big" 3 0`, `3 "big" 1 0`, `4 "regulars" 1 0`, `5 "regulars" 3 0`)
	expectRows(t, "only the replacing version's change log remains", f.query(`SELECT DISTINCT run_id FROM segrun_store.changes ORDER BY 1`), "1", "3")
	// An older key cannot be replaced: it would rewrite later change logs.
	_, err := f.run("2024-03-01", func(o *RunOptions) { o.RunKey = "2024-03-01"; o.Force = true })
	var fail *Failure
	if !errors.As(err, &fail) || !strings.Contains(fail.Msg, "only the latest version can be replaced") {
		t.Errorf("replacing an old version: %v", err)
	}
}

func TestEarlierAsOfIsRefused(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.mustRun("2024-06-01", nil)
	_, err := f.run("2024-03-01", nil)
	var fail *Failure
	if !errors.As(err, &fail) || !strings.Contains(fail.Msg, "earlier than the latest version 1") {
		t.Fatalf("got %v", err)
	}
	// The way out when the latest version is the mistake (a wrong --as-of published it).
	if !strings.Contains(fail.Msg, "segrun rollback --last") {
		t.Errorf("the refusal does not say how to undo a wrong latest version: %s", fail.Msg)
	}
	f.mustRun("2024-06-01", nil) // the same as_of again is a new version, not a step back
}

func TestDryRunPublishesNothing(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	store := filepath.Join(f.dir, "segrun.duckdb")
	r := f.mustRun("2024-03-01", func(o *RunOptions) { o.DryRun = true })
	if r.Outcome != OutcomeDryRun || r.Segmentations[0].Diff.Entered != 4 {
		t.Fatalf("dry run: %+v", r)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatalf("a dry run created the store: %v", err)
	}
	f.mustRun("2024-03-01", nil)
	before, _ := os.ReadFile(store)
	r = f.mustRun("2024-06-01", func(o *RunOptions) { o.DryRun = true })
	if r.Segmentations[0].Diff.Entered != 1 || r.BaseRun != 1 {
		t.Fatalf("dry run against version 1: %+v", r.Segmentations[0].Diff)
	}
	after, _ := os.ReadFile(store)
	if string(before) != string(after) {
		t.Error("a dry run changed the store file")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "out/lifecycle.csv")); err != nil {
		t.Errorf("exports of the real run: %v", err)
	}
}

func TestVarsOverride(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.mustRun("2024-03-01", func(o *RunOptions) { o.Vars = map[string]string{"champion_orders": "4"} })
	expectRows(t, "no champions with 4 orders required", f.query(`SELECT count(*) FROM segrun_store.current_memberships WHERE segment = 'champions'`), "0")
}

// failsWith runs and expects a Failure containing every fragment, with nothing published.
func (f *fixture) failsWith(asOf string, fragments ...string) {
	f.t.Helper()
	before := f.publishedRuns()
	_, err := f.run(asOf, nil)
	if after := f.publishedRuns(); after != before {
		f.t.Errorf("a failed run published: %s versions before, %s after", before, after)
	}
	var fail *Failure
	if !errors.As(err, &fail) {
		f.t.Fatalf("want a Failure, got %v", err)
	}
	for _, frag := range fragments {
		if !strings.Contains(fail.Error(), frag) {
			f.t.Errorf("failure lacks %q:\n%s", frag, fail.Error())
		}
	}
}

// publishedRuns counts the versions in the store (0 when there is no store).
func (f *fixture) publishedRuns() string {
	f.t.Helper()
	if _, err := os.Stat(filepath.Join(f.dir, "segrun.duckdb")); err != nil {
		return "0"
	}
	return f.query("SELECT count(*) FROM segrun_store.runs")[0]
}

func TestDataProblemsStopTheRunBeforePublishing(t *testing.T) {
	t.Run("value that does not parse, by file and line", func(t *testing.T) {
		f := newFixture(t, fixtureSpec, fixtureOrders+"6,11,2024-02-01 10:00:00,ten\n")
		f.failsWith("2024-03-01", "source orders", "1 row does not parse", "orders.csv:11:", `"amount"`, "ten")
	})
	t.Run("NULL in a not_null column", func(t *testing.T) {
		// The CSV reader enforces not_null on typed columns, so the empty value is located by line. This
		// also pins DuckDB's message for an empty field, which checkRejects rewrites.
		f := newFixture(t, fixtureSpec, fixtureOrders+",11,2024-02-01 10:00:00,1.00\n")
		f.failsWith("2024-03-01", "source orders", "1 row does not parse", "orders.csv:11:",
			`column "customer_id" is empty, but it is declared not_null`, ",11,2024-02-01 10:00:00")
	})
	t.Run("NULL in a not_null text column", func(t *testing.T) {
		// An empty string is valid text, so text columns are counted after loading instead.
		spec := strings.Replace(fixtureSpec, "amount: {type: DOUBLE}", "amount: {type: DOUBLE}\n      note: {type: VARCHAR, not_null: true}", 1)
		orders := strings.ReplaceAll(fixtureOrders, "\n", ",x\n")
		orders = strings.Replace(orders, "amount,x", "amount,note", 1) + "6,11,2024-02-01 10:00:00,1.00,\n"
		f := newFixture(t, spec, orders)
		f.failsWith("2024-03-01", "NULL in not_null columns", "column note: 1 row is NULL", "order_id=11")
	})
	t.Run("empty source", func(t *testing.T) {
		f := newFixture(t, fixtureSpec, "customer_id,order_id,ordered_at,amount\n")
		f.failsWith("2024-03-01", "no rows in", "allow_empty")
	})
	t.Run("failing data test", func(t *testing.T) {
		f := newFixture(t, strings.Replace(fixtureSpec, "      - unique: customer_id", "      - unique: customer_id\n      - assert: monetary < 100\n      - {not_null: monetary, severity: warn}", 1), fixtureOrders)
		f.failsWith("2024-03-01", "feature rfm", "data tests failed", "assert monetary < 100: 3 rows fail", "customer_id=3", "monetary=NULL")
	})
	t.Run("duplicate entities", func(t *testing.T) {
		f := newFixture(t, strings.Replace(fixtureSpec, "      group by customer_id", "      group by customer_id, order_id", 1), fixtureOrders)
		f.failsWith("2024-03-01", "unique customer_id") // the feature's own test catches it first
		f = newFixture(t, strings.NewReplacer("      group by customer_id", "      group by customer_id, order_id", "    tests:\n      - unique: customer_id\n", "").Replace(fixtureSpec), fixtureOrders)
		f.failsWith("2024-03-01", "segmentation lifecycle", "1 customer_id value appears more than once in rfm", "customer_id=1, rows=3")
	})
	t.Run("segment below min_size", func(t *testing.T) {
		f := newFixture(t, strings.Replace(fixtureSpec, "    else: regulars\n", "    else: regulars\n    min_size: {count: 2}\n", 1), fixtureOrders)
		f.failsWith("2024-03-01", "segments below min_size", "champions has 1 entity, fewer than min_size.count 2")
	})
}

func TestWarningsDoNotStopTheRun(t *testing.T) {
	f := newFixture(t, strings.NewReplacer("      - unique: customer_id", "      - unique: customer_id\n      - {not_null: monetary, severity: warn}",
		"    else: regulars\n", "    else: regulars\n    min_size: {count: 2, severity: warn}\n").Replace(fixtureSpec), fixtureOrders)
	r := f.mustRun("2024-03-01", nil)
	sort.Strings(r.Warnings)
	// min_size holds every segment the rules can assign: lapsed, which no customer is in, too.
	if len(r.Warnings) != 4 || !strings.Contains(r.Warnings[0], "not_null monetary: 1 row fails") ||
		!strings.Contains(r.Warnings[1], "big has 1 entity, fewer than min_size.count 2") ||
		!strings.Contains(r.Warnings[3], "lapsed has 0 entities, fewer than min_size.count 2") {
		t.Errorf("warnings: %q", r.Warnings)
	}
	// The min_size warnings are kept with the version, not only printed by the run.
	expectRows(t, "stored min_size notes", f.query(`SELECT count(*) FROM segrun_store.segmentation_versions,
		unnest(CAST(json_extract(summary, '$.notes') AS VARCHAR[])) AS n(note)
		WHERE segmentation = 'lifecycle' AND note LIKE 'min_size: %'`), "3")
}

func TestStoreOfAnotherPipelineIsRefused(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.mustRun("2024-03-01", nil)
	f.write("shop.yaml", strings.Replace(fixtureSpec, "name: shop", "name: other", 1))
	f.failsWith("2024-06-01", `holds pipeline "shop", not "other"`)
}

func TestRunOfInvalidSpec(t *testing.T) {
	f := newFixture(t, strings.Replace(fixtureSpec, "frequency >= vars.champion_orders", "frequency >= vars.champion_orderz", 1), fixtureOrders)
	res, err := f.run("2024-03-01", nil)
	if !errors.Is(err, ErrInvalidSpec) || res.Validation == nil || !res.Validation.Diagnostics.HasErrors() {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "segrun.duckdb")); !os.IsNotExist(err) {
		t.Error("an invalid spec created a store")
	}
}

func TestRFMSegmentation(t *testing.T) {
	f := newFixture(t, strings.Replace(fixtureSpec, "exports:", `  value:
    from: rfm
    rfm: {recency: recency_days, frequency: frequency, monetary: monetary, bins: 2}
exports:`, 1), fixtureOrders)
	f.mustRun("2024-03-01", nil)
	// With 2 bins the grid still partitions every score: each of the 4 customers gets a segment, and 4
	// (NULL monetary) is scored NULL and skipped by every rule.
	got := f.query(`SELECT count(*), count(DISTINCT entity) FROM segrun_store.current_memberships WHERE segmentation = 'value'`)
	expectRows(t, "rfm memberships", got, "3 3")
	_ = fmt.Sprint

	// No customer before the first order: an empty RFM segmentation, not a crash (it indexed a batch that
	// did not exist).
	f = newFixture(t, f.read("shop.yaml"), fixtureOrders)
	r := f.mustRun("2023-01-01", nil)
	for _, s := range r.Segmentations {
		if s.Name == "value" && s.Diff.Entities != 0 {
			t.Errorf("as of 2023-01-01: %+v", s.Diff)
		}
	}
}

// An infinite value in a scored column fails the run naming the column as the spec does, not its role.
func TestRFMInfiniteValueNamesTheColumn(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders: {path: data/orders.csv}
features:
  spend:
    sql: |
      select customer_id, 1 as days, count(*) as orders,
             case when customer_id = 1 then 'inf'::DOUBLE else 1.0 end as spent
      from orders group by customer_id
segmentations:
  value:
    from: spend
    rfm: {recency: days, frequency: orders, monetary: spent}
`, fixtureOrders)
	f.failsWith("2024-03-01", "segmentation value", "column spent: 1 value is +Inf or -Inf")
}

// An RFM segmentation's rules read the scores (and the entity); a rule over a column of the input is a
// validation error at its line. Validation used to accept it and the run failed (exit 3).
func TestRFMRulesReadTheScoredTable(t *testing.T) {
	spec := strings.Replace(fixtureSpec, "exports:", `  value:
    from: rfm
    rfm: {recency: recency_days, frequency: frequency, monetary: monetary, bins: 2}
    rules:
      - {segment: top, when: "r_score == 2 && f_score == 2"}
    else: rest
exports:`, 1)
	f := newFixture(t, spec, fixtureOrders)
	f.mustRun("2024-03-01", nil)
	expectRows(t, "top", f.query(`SELECT entity FROM segrun_store.current_memberships WHERE segmentation = 'value' AND segment = 'top'`), "1")
	f.write("shop.yaml", strings.Replace(spec, "f_score == 2", "f_score == 2 && monetary >= 100", 1))
	res, err := f.run("2024-03-01", nil)
	if err == nil || res.Validation == nil || !strings.Contains(fmt.Sprint(res.Validation.Diagnostics), "monetary") {
		t.Fatalf("a rule over a column the scored table lacks: %v, %v", err, res.Validation)
	}
}
