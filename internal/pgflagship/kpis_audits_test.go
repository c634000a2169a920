package pgflagship

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// sdTolerance is how far apart (relative) a profile's SD may be on the two engines. Every other
// statistic of a profile, KPI or audit is compared exactly; the SD is the one computed in another order
// on each engine (DuckDB's pairwise sums in Go over values in the order its threads deliver them, which
// already varies from run to run in the last bit, docs/engines.md; PostgreSQL's stddev_samp), each a
// few ulps from the exact value: 1e-12 leaves a thousand times that, and is ten million times smaller
// than a change of one cent in a standard deviation of 10,000 (1e-6 relative).
const sdTolerance = 1e-12

// The flagship's KPIs, segment profiles and audits on both engines (issue 17): retail.yaml on DuckDB and
// retail_postgres.yaml on PostgreSQL (one server, then the sharded coordinator), cut to sources, features,
// the three segmentations engine postgres runs and the KPIs, with audits of every kind (lifecycle's size
// and kpi audits, drift on numbers and text, stability of the RFM grid and of the clusters) and profiles
// of numbers and text, run at two dates and published into a DuckDB store and a PostgreSQL schema. Both
// stores hold the same KPI values and the same stored summaries (profiles, audit results, drift bins),
// and the runs report the same KPIs and audits, SDs within sdTolerance, everything else exactly.
func TestFlagshipKPIsProfilesAndAuditsEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	sample := *customers / 3
	duckSpec := writeKPIsSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), sample, func(sources *yaml.Node) {
		setKey(sources, "churn", node(t, `{path: data/churn.csv, columns: {customer_id: {type: BIGINT}, churn_score: {type: DOUBLE}}}`))
	}, nil)
	duckRes := runTwoDates(t, duckSpec)
	duck := readFacts(t, duckRes, func(ctx context.Context) (*store.Store, func(), error) {
		db, err := sql.Open(ctx, "", sql.Options{})
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Attach(ctx, db, filepath.Join(dir, "segrun.duckdb"), store.ReadOnly, 0)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return st, func() { st.Close(); db.Close() }, nil
	})
	if !strings.Contains(duck.text(), `"psi"`) || !strings.Contains(duck.text(), `"ari"`) || !strings.Contains(duck.text(), `"texts"`) {
		t.Fatalf("the DuckDB run has no PSI, ARI or text profile to compare:\n%s", duck.text())
	}
	const storeSchema = "pgkpis_store"
	for i, target := range []struct{ name, dsn string }{{"one server", plain.DSN}, {"the sharded coordinator", sharded.Coordinator.DSN}} {
		stageChurn(t, target.dsn, storeSchema)
		env := fmt.Sprintf("SEGRUN_TEST_PGKPIS_%d", i)
		t.Setenv(env, target.dsn)
		pgSpec := writeKPIsSpec(t, PostgresSpec, filepath.Join(dir, fmt.Sprintf("pg%d.yaml", i)), sample, func(sources *yaml.Node) {
			setKey(sources, "churn", node(t, `{table: public.churn}`))
		}, func(root *yaml.Node) {
			setKey(root, "engine", node(t, `{postgres: {dsn_env: `+env+`}}`))
			setKey(root, "store", node(t, "postgres:"+storeSchema))
		})
		pgRes := runTwoDates(t, pgSpec)
		pg := readFacts(t, pgRes, func(ctx context.Context) (*store.Store, func(), error) {
			st, err := store.OpenPostgres(ctx, target.dsn, storeSchema, store.ReadOnly, 0)
			if err != nil {
				return nil, nil, err
			}
			return st, func() { st.Close() }, nil
		})
		if err := compareFacts(duck, pg); err != nil {
			t.Errorf("%s: %v", target.name, err)
		}
	}
}

// The comparison above catches a mistake in any of what it compares: a KPI value a bit off, a profile's
// mean, median or text share off, an SD beyond the tolerance, a PSI, an audit's status, a drift bin's
// edge; and lets an SD within it pass.
func TestCompareFactsCatchesMistakes(t *testing.T) {
	want := facts{
		kpis: []kpiFact{{key: "v1 lifecycle retention_90d champions 3 percent", value: fptr(0.5)}},
		reports: map[string]methods.Report{"v1 lifecycle": {
			Profiles: &methods.Profiles{Population: methods.SegmentProfile{Size: 10, Numbers: map[string]methods.NumberProfile{
				"monetary": {Mean: fptr(96.515), Median: fptr(80), SD: fptr(12.25)}},
				Texts: map[string][]methods.TextValue{"channel": {{Value: "web", Share: 0.5, Lift: 1}}}}},
			Audits:    []methods.AuditResult{{Audit: "drift", Status: methods.AuditPass, Checks: []methods.AuditCheck{{Column: "monetary", Measure: "psi", Value: fptr(0.01)}}}},
			AuditBins: []methods.DriftBins{{Column: "monetary", Kind: "number", Edges: []float64{1, 2}}},
		}},
	}
	clone := func() facts {
		b, _ := json.Marshal(want.reports)
		f := facts{kpis: []kpiFact{{key: want.kpis[0].key, value: fptr(*want.kpis[0].value)}}, reports: map[string]methods.Report{}}
		json.Unmarshal(b, &f.reports)
		return f
	}
	number := func(f facts, change func(*methods.NumberProfile)) {
		r := f.reports["v1 lifecycle"]
		n := r.Profiles.Population.Numbers["monetary"]
		change(&n)
		r.Profiles.Population.Numbers["monetary"] = n
	}
	cases := []struct {
		name   string
		change func(f facts)
		differ bool
	}{
		{"the same", func(facts) {}, false},
		{"an SD within the tolerance", func(f facts) { number(f, func(n *methods.NumberProfile) { *n.SD *= 1 + sdTolerance/4 }) }, false},
		{"an SD beyond it", func(f facts) { number(f, func(n *methods.NumberProfile) { *n.SD *= 1 + 4*sdTolerance }) }, true},
		{"a mean a bit off", func(f facts) { number(f, func(n *methods.NumberProfile) { *n.Mean = math.Nextafter(*n.Mean, 100) }) }, true},
		{"a median off", func(f facts) { number(f, func(n *methods.NumberProfile) { *n.Median = 81 }) }, true},
		{"a KPI value within the tolerance", func(f facts) { *f.kpis[0].value *= 1 + DoubleTolerance/4 }, false},
		{"a KPI value off", func(f facts) { *f.kpis[0].value *= 1 + 4*DoubleTolerance }, true},
		{"a KPI with no value", func(f facts) { f.kpis[0].value = nil }, true},
		{"a KPI's members off", func(f facts) { f.kpis[0].key = "v1 lifecycle retention_90d champions 4 percent" }, true},
		{"a text share off", func(f facts) { f.reports["v1 lifecycle"].Profiles.Population.Texts["channel"][0].Share = 0.51 }, true},
		{"a PSI off", func(f facts) { *f.reports["v1 lifecycle"].Audits[0].Checks[0].Value = 0.0100001 }, true},
		{"an audit failing", func(f facts) { f.reports["v1 lifecycle"].Audits[0].Status = methods.AuditFail }, true},
		{"a drift edge off", func(f facts) { f.reports["v1 lifecycle"].AuditBins[0].Edges[1] = 2.5 }, true},
		{"a missing report", func(f facts) { delete(f.reports, "v1 lifecycle") }, true},
	}
	for _, c := range cases {
		got := clone()
		c.change(got)
		err := compareFacts(want, got)
		if (err != nil) != c.differ {
			t.Errorf("%s: compare says %v, want a difference: %v", c.name, err, c.differ)
		}
	}
	// A scored column (a model's score: monetary stands for it here) is compared within DoubleTolerance,
	// every statistic of it; the other columns still exactly.
	scoredCases := []struct {
		name   string
		change func(f facts)
		differ bool
	}{
		{"a scored median an ulp off", func(f facts) {
			number(f, func(n *methods.NumberProfile) { *n.Median = math.Nextafter(*n.Median, 100) })
		}, false},
		{"a scored mean beyond the tolerance", func(f facts) { number(f, func(n *methods.NumberProfile) { *n.Mean *= 1 + 4*DoubleTolerance }) }, true},
		{"a scored median missing", func(f facts) { number(f, func(n *methods.NumberProfile) { n.Median = nil }) }, true},
		{"a text share off", func(f facts) { f.reports["v1 lifecycle"].Profiles.Population.Texts["channel"][0].Share = 0.51 }, true},
	}
	for _, c := range scoredCases {
		got := clone()
		c.change(got)
		err := compareFacts(want, got, "monetary")
		if (err != nil) != c.differ {
			t.Errorf("%s (monetary scored): compare says %v, want a difference: %v", c.name, err, c.differ)
		}
	}
}

func fptr(x float64) *float64 { return &x }

// facts are what a run at two dates computed of KPIs, profiles and audits, as both the runs' results and
// the store read back hold them: KPI values as text lines, and each version's stored summary (key "v1
// lifecycle") with what differs between the engines by design (timings, the spec's hash) taken out.
type facts struct {
	kpis    []kpiFact
	reports map[string]methods.Report
}

// kpiFact is a KPI value: what names it and its members and format (key), and the value.
type kpiFact struct {
	key   string
	value *float64
}

func (f facts) text() string {
	b, _ := json.Marshal(f.reports)
	var lines []string
	for _, k := range f.kpis {
		lines = append(lines, fmt.Sprint(k.key, " ", deref(k.value)))
	}
	return strings.Join(lines, "\n") + "\n" + string(b)
}

// readFacts reads the KPI values and stored summaries of both versions from the store (opened by
// open), checking that the runs' own results say the same.
func readFacts(t *testing.T, results []*runner.Result, open func(context.Context) (*store.Store, func(), error)) facts {
	t.Helper()
	ctx := context.Background()
	st, closeStore, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	f := facts{reports: map[string]methods.Report{}}
	for v, res := range results {
		var fromRun, stored []string
		for _, k := range res.KPIs {
			fromRun = append(fromRun, kpiLine(v, k))
		}
		for _, seg := range res.Segmentations {
			values, err := st.KPIValues(ctx, res.RunID, seg.Name)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range values {
				stored = append(stored, kpiLine(v, k))
				f.kpis = append(f.kpis, kpiFact{key: fmt.Sprintf("v%d %s %s %s %d %s", v+1, k.Segmentation, k.KPI, k.Segment, k.Members, k.Format), value: k.Value})
			}
			info, err := st.Version(ctx, res.RunID, seg.Name)
			if err != nil || info == nil {
				t.Fatalf("version %d of %s: %v", res.RunID, seg.Name, err)
			}
			rep, ok, err := store.Decode[methods.Report](info.Summary.Document)
			if !ok || err != nil {
				t.Fatalf("version %d of %s: summary %v", res.RunID, seg.Name, err)
			}
			if a, b := jsonOf(seg.Audits), jsonOf(rep.Audits); a != b {
				t.Errorf("version %d of %s: the run's audits %v, the store's %v", res.RunID, seg.Name, seg.Audits, rep.Audits)
			}
			rep.RuleSeconds, rep.DefinitionHash = 0, ""
			for i := range rep.Rules {
				rep.Rules[i].Kernel = false
			}
			f.reports[fmt.Sprintf("v%d %s", v+1, seg.Name)] = rep
		}
		if strings.Join(slices.Sorted(slices.Values(fromRun)), "\n") != strings.Join(slices.Sorted(slices.Values(stored)), "\n") {
			t.Errorf("version %d: the run's KPIs\n%s\nthe store's\n%s", res.RunID, strings.Join(fromRun, "\n"), strings.Join(stored, "\n"))
		}
	}
	if len(f.kpis) == 0 {
		t.Fatal("no KPI value: the comparison would be empty")
	}
	return f
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func kpiLine(version int, k store.KPIValue) string {
	value := "-"
	if k.Value != nil {
		value = fmt.Sprint(*k.Value)
	}
	return fmt.Sprintf("v%d %s %s %s %s %d %s", version+1, k.Segmentation, k.KPI, k.Segment, value, k.Members, k.Format)
}

// compareFacts says how got differs from want: KPI lines and stored summaries exactly, but every
// profile SD, within sdTolerance, and every statistic of a profile of a scored column (a model's score,
// which scoring as SQL may round an ulp or a few away from Go's exp(), docs/engines.md "Scoring pushed
// down as SQL"), within DoubleTolerance.
func compareFacts(want, got facts, scored ...string) error {
	var diffs []string
	if len(want.kpis) != len(got.kpis) {
		diffs = append(diffs, fmt.Sprintf("%d KPI values on duckdb, %d on postgres", len(want.kpis), len(got.kpis)))
	}
	for i := range min(len(want.kpis), len(got.kpis)) {
		w, g := want.kpis[i], got.kpis[i]
		if w.key != g.key || !within(w.value, g.value, DoubleTolerance) {
			diffs = append(diffs, fmt.Sprintf("KPI %s = %v, postgres %s = %v", w.key, deref(w.value), g.key, deref(g.value)))
		}
	}
	for key, w := range want.reports {
		g, ok := got.reports[key]
		if !ok {
			diffs = append(diffs, key+": no stored summary")
			continue
		}
		wl, gl := looseOf(w, scored), looseOf(g, scored)
		w, g = takeLoose(w, scored), takeLoose(g, scored)
		for _, k := range slices.Sorted(maps.Keys(wl)) {
			a := wl[k]
			b, ok := gl[k]
			if !ok || !within(a.value, b.value, a.tolerance) {
				diffs = append(diffs, fmt.Sprintf("%s: %s: duckdb %v, postgres %v", key, k, deref(a.value), deref(b.value)))
			}
		}
		wj, _ := json.MarshalIndent(w, "", " ")
		gj, _ := json.MarshalIndent(g, "", " ")
		if d := lineDiff(strings.Split(string(wj), "\n"), strings.Split(string(gj), "\n")); d != "" {
			diffs = append(diffs, fmt.Sprintf("%s: the stored summary differs:\n%s", key, d))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s", strings.Join(diffs, "\n"))
	}
	return nil
}

// lineDiff lists the lines that differ at the same place (at most five), and a difference in length;
// "" when the lists are equal.
func lineDiff(want, got []string) string {
	var out []string
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] && len(out) < 5 {
			out = append(out, fmt.Sprintf("line %d: duckdb %s, postgres %s", i+1, strings.TrimSpace(want[i]), strings.TrimSpace(got[i])))
		}
	}
	if len(want) != len(got) {
		out = append(out, fmt.Sprintf("%d lines on duckdb, %d on postgres", len(want), len(got)))
	}
	return strings.Join(out, "\n")
}

// within says two optional values are both absent, or both present and within tolerance of each other
// (relative to the larger magnitude).
func within(a, b *float64, tolerance float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b || math.Abs(*a-*b) <= tolerance*math.Max(math.Abs(*a), math.Abs(*b))
}

func deref(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}

// looseValue is a profile statistic compared within a tolerance.
type looseValue struct {
	value     *float64
	tolerance float64
}

// looseOf lists a report's profile statistics compared within a tolerance, by group, column and name:
// every SD (sdTolerance), and every statistic of a scored column (DoubleTolerance).
func looseOf(r methods.Report, scored []string) map[string]looseValue {
	out := map[string]looseValue{}
	if r.Profiles == nil {
		return out
	}
	add := func(group string, sp methods.SegmentProfile) {
		for col, n := range sp.Numbers {
			out["SD of "+group+" "+col] = looseValue{n.SD, sdTolerance}
			if slices.Contains(scored, col) {
				for name, v := range map[string]*float64{"mean": n.Mean, "median": n.Median, "p10": n.P10, "p90": n.P90, "lift": n.Lift} {
					out[name+" of "+group+" "+col] = looseValue{v, DoubleTolerance}
				}
			}
		}
	}
	add("(all)", r.Profiles.Population)
	for _, sp := range r.Profiles.Segments {
		add(sp.Segment, sp)
	}
	return out
}

// takeLoose is r with what looseOf lists taken out (a deep copy: the caller's report is unchanged).
func takeLoose(r methods.Report, scored []string) methods.Report {
	b, _ := json.Marshal(r)
	var c methods.Report
	json.Unmarshal(b, &c)
	if c.Profiles == nil {
		return c
	}
	strip := func(sp *methods.SegmentProfile) {
		for col, n := range sp.Numbers {
			n.SD = nil
			if slices.Contains(scored, col) {
				n = methods.NumberProfile{}
			}
			sp.Numbers[col] = n
		}
	}
	strip(&c.Profiles.Population)
	for i := range c.Profiles.Segments {
		strip(&c.Profiles.Segments[i])
	}
	return c
}

// runTwoDates runs the spec at the first two dates, each published.
func runTwoDates(t *testing.T, path string) []*runner.Result {
	t.Helper()
	var out []*runner.Result
	for _, asOf := range asOfs[:2] {
		res := runAt(t, path, asOf)
		if res.Outcome != runner.OutcomePublished || len(res.Segmentations) != 3 {
			t.Fatalf("%s as of %s: outcome %s with %d segmentations (%s)", filepath.Base(path), asOf, res.Outcome, len(res.Segmentations), res.Message)
		}
		t.Logf("%s as of %s: %.2fs, %d KPI values, warnings %v", filepath.Base(path), asOf, res.Seconds, len(res.KPIs), res.Warnings)
		out = append(out, res)
	}
	return out
}

// writeKPIsSpec writes the example spec cut as writeSegmentationsSpec cuts it, but keeping the KPIs, the
// outcomes feature they read and lifecycle's audits, and adding audits of every kind and text profiles:
// drift of lifecycle's numbers, of behaviour's numbers and text, stability of value and behaviour.
func writeKPIsSpec(t *testing.T, example, path string, sample int, addChurn func(*yaml.Node), edit func(*yaml.Node)) string {
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
	for _, k := range []string{"models", "audiences", "outcomes", "priority_lists", "destinations", "exports"} {
		deleteKey(root, k)
	}
	addChurn(getKey(t, root, "sources"))
	deleteKey(getKey(t, root, "sources"), "campaign_orders")
	segs := getKey(t, root, "segmentations")
	deleteKey(segs, "value_clv")
	lifecycle := getKey(t, segs, "lifecycle")
	audits := getKey(t, lifecycle, "audits")
	audits.Content = append(audits.Content, node(t, `{drift: {columns: [monetary, recency_days, frequency]}, severity: warn}`))
	setKey(getKey(t, segs, "value"), "audits", node(t, `[{stability: {min_ari: 0.0}, severity: warn}, {size: {min: 0.0, max: 0.9}}]`))
	behaviour := getKey(t, segs, "behaviour")
	setKey(getKey(t, behaviour, "cluster"), "sample_rows", node(t, fmt.Sprint(sample)))
	setKey(behaviour, "profile", node(t, `[recency_days, frequency, monetary, avg_order_value, tenure_days, country, channel]`))
	setKey(behaviour, "audits", node(t, `[{drift: {columns: [monetary, tenure_days, channel, country], psi: 10}}, {stability: {min_ari: 0.0}, severity: warn}]`))
	if edit != nil {
		edit(root)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
