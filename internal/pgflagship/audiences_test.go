package pgflagship

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/cli"
	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// What acts on the flagship's segments on both engines: retail.yaml on DuckDB and retail_postgres.yaml on
// one PostgreSQL server, cut to sources, features, segmentations, audiences, destinations and exports
// (the segmentations as TestFlagshipSegmentationsEqualOnDuckDBAndPostgres has them), with two more
// destinations, so that every way out is exercised: a Parquet file of the run's changes and a PostgreSQL
// table. Run at two dates, each publishing into its store: the audiences' memberships (treatment and
// control: the holdout's hash), change logs and summaries, every file written (the destinations' with
// hashed emails, the exports), and the deliveries rows are equal. A PostgreSQL run with one mistake (the
// holdout's salt) must be told apart, so the comparison is known to see the holdout.

// actAudiences are the flagship's audiences, which the comparison checks are all there.
var actAudiences = []string{"vip_upgrade", "winback_email", "newsletter"}

func TestFlagshipAudiencesEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	const destSchema = "pgact_dest"
	stores := []string{"pgact_store", "pgact_mistake"}
	conn := stageChurn(t, plain.DSN, destSchema, stores[0], stores[1])
	t.Setenv("SEGRUN_TEST_PGACT", plain.DSN)

	sample := *customers / 3
	specIn := func(name string) string {
		d := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(dataDir, filepath.Join(d, "data")); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(d, "spec.yaml")
	}
	duckSpec := writeActSpec(t, DuckDBSpec, specIn("duck"), sample, "newsletter_duck", func(root *yaml.Node) {
		setKey(getKey(t, root, "sources"), "churn", node(t, `{path: data/churn.csv, columns: {customer_id: {type: BIGINT}, churn_score: {type: DOUBLE}}}`))
	})
	pgEdit := func(storeSchema string) func(root *yaml.Node) {
		return func(root *yaml.Node) {
			setKey(getKey(t, root, "sources"), "churn", node(t, `{table: public.churn}`))
			setKey(root, "engine", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGACT}}`))
			setKey(root, "store", node(t, "postgres:"+storeSchema))
		}
	}
	pgSpec := writeActSpec(t, PostgresSpec, specIn("pg"), sample, "newsletter_pg", pgEdit(stores[0]))

	// The second date is when the demo's campaign went out (examples.CampaignSent), for measure.
	dates := asOfs[1:3]
	duck := runAct(t, duckSpec, dates)
	pg := runAct(t, pgSpec, dates)
	duckStore, pgStore := filepath.Join(filepath.Dir(duckSpec), "segrun.duckdb"), stores[0]

	// The audiences' summaries: members, exclusions, consent, the priority list's losses, the holdout.
	for v := range duck {
		for _, name := range actAudiences {
			d, p := reportOf(t, duck[v], name), reportOf(t, pg[v], name)
			if d.Audience.Members == 0 || d.Audience.Treatment == 0 || name != "newsletter" && d.Audience.Control == 0 {
				t.Errorf("version %d, %s: %d members (%d control, %d treatment) on duckdb: the comparison would miss the holdout", v+1, name,
					d.Audience.Members, d.Audience.Control, d.Audience.Treatment)
			}
			if got, want := summaryJSON(t, p), summaryJSON(t, d); got != want {
				t.Errorf("version %d, %s: the summary differs from duckdb's\npostgres %s\nduckdb   %s", v+1, name, got, want)
			}
		}
	}
	// Memberships (each audience's treatment and control) and change logs of both versions.
	duckRows, pgRows := enginetest.DuckStoreRows(t, duckStore), enginetest.PGStoreRows(t, conn, pgStore)
	for _, name := range actAudiences {
		n := 0
		for _, r := range duckRows {
			if strings.HasPrefix(r, "member 2 "+name+" ") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("the duckdb store has no member of %s in version 2", name)
		}
	}
	if d := firstDifference(duckRows, pgRows); d != "" {
		t.Errorf("stores differ: %s", d)
	}
	// The files: destinations (hashed emails; the changes as Parquet) and exports, byte for byte.
	files := []string{"out/winback.csv", "out/vip_changes.parquet", "out/lifecycle.parquet", "out/lifecycle_changes.csv", "out/winback_members.csv"}
	for _, f := range files {
		want, err := os.ReadFile(filepath.Join(filepath.Dir(duckSpec), f))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(filepath.Dir(pgSpec), f))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 100 {
			t.Errorf("%s has %d bytes on duckdb: nothing to compare", f, len(want))
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs: %d bytes on postgres, %d on duckdb\n%s", f, len(got), len(want), firstDifference(fileLines(t, want, f), fileLines(t, got, f)))
		}
	}
	if b, _ := os.ReadFile(filepath.Join(filepath.Dir(pgSpec), "out/winback.csv")); !bytes.Contains(b, []byte("customer_id,email,group\n")) || bytes.Contains(b, []byte("@")) {
		t.Errorf("out/winback.csv on postgres is not the members with hashed emails:\n%.300s", b)
	}
	// The deliveries table: one row per destination and version, the same counts and content keys.
	// (Each run has its own directory and table, so that the second does not meet the first's versions.)
	sameTargets := func(rows []string, dir string) []string {
		r := strings.NewReplacer(dir+"/", "DIR/", "newsletter_duck ", "newsletter_TABLE ", "newsletter_pg ", "newsletter_TABLE ")
		for i := range rows {
			rows[i] = r.Replace(rows[i])
		}
		return rows
	}
	duckDeliveries := sameTargets(deliveryRows(t, duckStore, ""), filepath.Dir(duckSpec))
	pgDeliveries := sameTargets(deliveryRows(t, "", pgStore), filepath.Dir(pgSpec))
	if len(duckDeliveries) != 2*3 {
		t.Errorf("duckdb recorded %d deliveries, want 6 (3 destinations, 2 versions): %q", len(duckDeliveries), duckDeliveries)
	}
	if d := firstDifference(duckDeliveries, pgDeliveries); d != "" {
		t.Errorf("deliveries differ: %s", d)
	}
	// The table destination holds the same members on both.
	duckTable, pgTable := tableRows(t, conn, destSchema+".newsletter_duck"), tableRows(t, conn, destSchema+".newsletter_pg")
	if len(duckTable) == 0 {
		t.Errorf("the newsletter table of the duckdb run is empty")
	}
	if d := firstDifference(duckTable, pgTable); d != "" {
		t.Errorf("the newsletter tables differ: %s", d)
	}

	// segrun measure: the campaign's audience, version 2 (sent on its as-of date), treatment against
	// control on both outcomes, overall and per included segment, from the same memberships and events,
	// the per-member join inside the server on postgres. Counts are exact; means, variances and what the
	// statistics make of them within 1e-9 (each engine sums doubles in its own order).
	duckV, pgV := validated(t, duckSpec), validated(t, pgSpec)
	for _, outcome := range []string{"conversions", "campaign_revenue"} {
		d, p := measureOn(t, duckV, "winback_email", outcome, 2), measureOn(t, pgV, "winback_email", outcome, 2)
		if d.MembersWithEvents == 0 || d.Overall.Lift == nil || len(d.Segments) < 2 {
			t.Errorf("winback_email on %s: %d members with an event, %d segments on duckdb: nothing to compare", outcome, d.MembersWithEvents, len(d.Segments))
		}
		if diff := sameMeasurement(d, p); diff != "" {
			t.Errorf("winback_email on %s: measurements differ: %s", outcome, diff)
		}
	}

	// The commands that act on a published version read the store on PostgreSQL as they read the file:
	// docs documents the same versions, export writes the same file (pulled as Arrow), and deliver finds
	// newsletter's table delivered already (the same content key) and, with --again, applies nothing new.
	t.Setenv(store.EnvDSN, plain.DSN)
	cliRun := func(args ...string) (string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := cli.Run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("segrun %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	exported := map[string][]byte{}
	for name, at := range map[string]string{"duckdb": duckStore, "postgres": "postgres:" + pgStore} {
		out := filepath.Join(t.TempDir(), "winback.csv")
		cliRun("export", "winback_email", "--store", at, "--run", "1", "--out", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		exported[name] = b
	}
	if !bytes.Equal(exported["duckdb"], exported["postgres"]) || len(exported["duckdb"]) < 100 {
		t.Errorf("segrun export winback_email --run 1 differs: %d bytes from duckdb's store, %d from postgres's", len(exported["duckdb"]), len(exported["postgres"]))
	}
	// The documents differ only where the specs or the engines do: where they are, the features' SQL
	// (in the definition hashes), and the profiles engine postgres does not compute yet.
	docLines := func(doc string) []string {
		var out []string
		for _, l := range strings.Split(doc, "\n") {
			if !strings.Contains(l, "Profile (latest version)") && !strings.Contains(strings.ToLower(l), "definition hash") &&
				!strings.Contains(l, "Spec: ") && !strings.HasPrefix(l, "Store ") {
				out = append(out, l)
			}
		}
		return out
	}
	duckDocs, _ := cliRun("docs", duckSpec)
	pgDocs, _ := cliRun("docs", pgSpec)
	if !strings.Contains(pgDocs, "Store postgres:"+pgStore+": 2 published versions") {
		t.Errorf("segrun docs with the store on postgres does not document its versions:\n%.500s", pgDocs)
	}
	if !slices.Equal(docLines(duckDocs), docLines(pgDocs)) {
		t.Errorf("segrun docs differs beyond the specs and profiles: %s", firstDifference(docLines(duckDocs), docLines(pgDocs)))
	}
	out, _ := cliRun("deliver", "newsletter", pgSpec)
	if !strings.Contains(out, "newsletter_table: version 2 was already delivered (same content)") {
		t.Errorf("segrun deliver newsletter on postgres said %q", out)
	}
	out, _ = cliRun("deliver", "newsletter", "--again", pgSpec)
	if !strings.Contains(out, "version 2 was already applied by postgres:pgact_dest.newsletter_pg") {
		t.Errorf("segrun deliver newsletter --again on postgres said %q", out)
	}

	// A deliberate mistake: the holdout's salt changed on postgres moves entities between control and
	// treatment, which the comparison of the stores and of the files must see.
	mistake := writeActSpec(t, PostgresSpec, specIn("mistake"), sample, "newsletter_mistake", func(root *yaml.Node) {
		pgEdit(stores[1])(root)
		aud := getKey(t, getKey(t, root, "audiences"), "winback_email")
		setKey(aud, "holdout", node(t, `{share: 0.10, salt: retail-2025}`))
	})
	runAct(t, mistake, dates[:1])
	version1 := func(rows []string) []string {
		var out []string
		for _, r := range rows {
			if strings.HasPrefix(r, "member 1 ") || strings.HasPrefix(r, "change 1 ") {
				out = append(out, r)
			}
		}
		return out
	}
	if firstDifference(version1(duckRows), version1(enginetest.PGStoreRows(t, conn, stores[1]))) == "" {
		t.Errorf("a postgres run with another holdout salt has the same memberships as duckdb's: the comparison does not see the holdout")
	}
	if firstDifference(version1(duckRows), version1(pgRows)) != "" {
		t.Errorf("version 1 differs on the correct run")
	}
}

// writeActSpec writes the example cut to sources, features, segmentations (as writeSegmentationsSpec),
// audiences, destinations, exports and outcomes, with two more destinations (vip_upgrade's changes as Parquet,
// newsletter's members into the PostgreSQL table pgact_dest.<table>) and an export of an audience.
func writeActSpec(t *testing.T, example, path string, sample int, table string, edit func(*yaml.Node)) string {
	t.Helper()
	src, err := examples.Pipelines.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	for _, k := range []string{"models", "kpis"} {
		deleteKey(root, k)
	}
	deleteKey(getKey(t, root, "features"), "outcomes") // the churn model's labels
	segs := getKey(t, root, "segmentations")
	deleteKey(segs, "value_clv")
	deleteKey(getKey(t, segs, "lifecycle"), "audits")
	setKey(getKey(t, getKey(t, segs, "behaviour"), "cluster"), "sample_rows", node(t, fmt.Sprint(sample)))
	auds := getKey(t, root, "audiences")
	setKey(getKey(t, auds, "vip_upgrade"), "destinations", node(t, `[vip_changes]`))
	setKey(getKey(t, auds, "newsletter"), "destinations", node(t, `[newsletter_table]`))
	dests := getKey(t, root, "destinations")
	setKey(dests, "vip_changes", node(t, `{path: out/vip_changes.parquet, columns: [customer_id, group], mode: changes}`))
	setKey(dests, "newsletter_table", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGACT, table: pgact_dest.`+table+`, exits: flag}, mode: changes}`))
	exports := getKey(t, root, "exports")
	exports.Content = append(exports.Content, node(t, `{segmentation: winback_email, path: out/winback_members.csv}`))
	edit(root)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runAct runs the spec at each of dates; every run must publish and write everything.
func runAct(t *testing.T, path string, dates []string) []*runner.Result {
	t.Helper()
	var out []*runner.Result
	for _, asOf := range dates {
		res := runAt(t, path, asOf)
		if res.Outcome != runner.OutcomePublished || len(res.Deliveries) != 3 || len(res.Exports) != 3 {
			t.Fatalf("%s as of %s: outcome %s, %d deliveries, %d exports (%s); want published, 3 and 3", path, asOf, res.Outcome, len(res.Deliveries), len(res.Exports), res.Message)
		}
		var steps []string
		for _, st := range res.Steps {
			steps = append(steps, fmt.Sprintf("%s %.2fs", st.Step, st.Seconds))
		}
		t.Logf("%s as of %s: %.2fs in all; %s", filepath.Base(filepath.Dir(path)), asOf, res.Seconds, strings.Join(steps, ", "))
		out = append(out, res)
	}
	return out
}

func reportOf(t *testing.T, res *runner.Result, name string) runner.SegmentationReport {
	t.Helper()
	for _, r := range res.Segmentations {
		if r.Name == name {
			if r.Audience == nil {
				t.Fatalf("%s has no audience report", name)
			}
			return r
		}
	}
	t.Fatalf("no report of %s", name)
	return runner.SegmentationReport{}
}

// firstDifference says where two sorted lists of rows first differ, "" when they are equal.
func firstDifference(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	for k := range min(len(want), len(got)) {
		if want[k] != got[k] {
			return fmt.Sprintf("%d rows on duckdb, %d on postgres, first at %d:\nduckdb   %s\npostgres %s", len(want), len(got), k, want[k], got[k])
		}
	}
	return fmt.Sprintf("%d rows on duckdb, %d on postgres", len(want), len(got))
}

// fileLines are a file's rows as text (a Parquet file's read by DuckDB), for messages.
func fileLines(t *testing.T, b []byte, name string) []string {
	t.Helper()
	if !strings.HasSuffix(name, ".parquet") {
		return strings.Split(string(b), "\n")
	}
	p := filepath.Join(t.TempDir(), "f.parquet")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := queryDuck(t, "SELECT CAST(f AS VARCHAR) FROM read_parquet("+sql.Literal(p)+") f", "")
	if err != nil {
		return []string{err.Error()}
	}
	return r
}

// deliveryColumns is a deliveries row as text, without its times.
const deliveryColumns = `audience || ' ' || destination || ' ' || target || ' v' || CAST(run_id AS VARCHAR) || ' ' || mode || ' ' || status || ' ' || via ||
	' members ' || coalesce(CAST(members AS VARCHAR), '-') || ' entered ' || coalesce(CAST(entered AS VARCHAR), '-') ||
	' exited ' || coalesce(CAST(exited AS VARCHAR), '-') || ' key ' || coalesce(content_key, '-') || ' ' || delivery_id`

// deliveryRows are a store's deliveries, without their times: a DuckDB store file, or a PostgreSQL schema.
func deliveryRows(t *testing.T, duckPath, pgSchema string) []string {
	t.Helper()
	const cols = deliveryColumns
	if pgSchema == "" {
		r, err := queryDuck(t, "SELECT "+cols+" FROM segrun_store.deliveries", duckPath)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(r)
		return r
	}
	conn, err := pgx.Connect(context.Background(), plain.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	return tableRows(t, conn, "(SELECT "+cols+" AS d FROM "+pgx.Identifier{pgSchema, "deliveries"}.Sanitize()+") d")
}

// tableRows are a PostgreSQL relation's rows as text, sorted.
func tableRows(t *testing.T, conn *pgx.Conn, relation string) []string {
	t.Helper()
	q := "SELECT d.d FROM " + relation
	if !strings.HasPrefix(relation, "(") {
		q = "SELECT CAST(d AS text) FROM (SELECT entity, \"group\", exited_at IS NULL FROM " + relation + ") d"
	}
	return enginetest.PGLines(t, conn, q)
}

// queryDuck runs query in DuckDB (with the store file at storePath attached, unless "") and returns its
// one text column.
func queryDuck(t *testing.T, query, storePath string) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if storePath != "" {
		st, err := store.Attach(ctx, db, storePath, store.ReadOnly, 0)
		if err != nil {
			return nil, err
		}
		defer st.Close()
	}
	return enginetest.DuckLines(ctx, db, query)
}

func validated(t *testing.T, specPath string) *runner.Validation {
	t.Helper()
	v, err := runner.Validate(context.Background(), specPath, runner.ValidateOptions{})
	if err != nil || !v.Valid() {
		t.Fatalf("%s: %v", specPath, err)
	}
	return v
}

// measureOn measures version run of audience on outcome with the spec's store (30 days).
func measureOn(t *testing.T, v *runner.Validation, audience, outcome string, run int64) *store.Measurement {
	t.Helper()
	m, err := runner.Measure(context.Background(), v, runner.MeasureOptions{Audience: audience, Outcome: outcome, Run: run, WindowDays: 30, MinLift: 0.1, Now: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatalf("measure %s --outcome %s --run %d: %v", audience, outcome, run, err)
	}
	return m
}

// sameMeasurement compares two measurements as JSON: every number within 1e-9 relative (1e-12 absolute),
// everything else exactly; "" when they agree.
func sameMeasurement(want, got *store.Measurement) string {
	var a, b any
	for _, x := range []struct {
		m   *store.Measurement
		out *any
	}{{want, &a}, {got, &b}} {
		raw, err := json.Marshal(x.m)
		if err != nil {
			return err.Error()
		}
		if err := json.Unmarshal(raw, x.out); err != nil {
			return err.Error()
		}
	}
	return jsonDiff("", a, b)
}

func jsonDiff(at string, a, b any) string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %v on duckdb, %v on postgres", at, a, b)
		}
		for k := range x {
			if d := jsonDiff(at+"."+k, x[k], y[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return fmt.Sprintf("%s: %v on duckdb, %v on postgres", at, a, b)
		}
		for i := range x {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", at, i), x[i], y[i]); d != "" {
				return d
			}
		}
		return ""
	case float64:
		y, ok := b.(float64)
		if !ok || math.Abs(x-y) > 1e-12+1e-9*math.Max(math.Abs(x), math.Abs(y)) {
			return fmt.Sprintf("%s: %v on duckdb, %v on postgres", at, a, b)
		}
		return ""
	}
	if a != b {
		return fmt.Sprintf("%s: %v on duckdb, %v on postgres", at, a, b)
	}
	return ""
}
