package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/schema"
	"github.com/segrun/segrun/sql/store"
)

// The audit kinds are the schema's: an audit the schema lets through must have a kind to evaluate it,
// and a kind the schema does not declare could never be written.
func TestAuditKindsAreTheSchemas(t *testing.T) {
	var names []string
	for _, k := range auditKinds {
		names = append(names, k.name)
	}
	slices.Sort(names)
	if want := schema.AuditKinds(); !slices.Equal(names, want) {
		t.Errorf("audit kinds %v, schema's %v", names, want)
	}
}

// driftExpected is scripts/psi_reference.py's output.
type driftExpected struct {
	Bins map[string]struct {
		Kind       string    `json:"kind"`
		Edges      []float64 `json:"edges"`
		Categories []string  `json:"categories"`
		Rows       int64     `json:"rows"`
		Shares     []float64 `json:"shares"`
		Segments   map[string]struct {
			Rows   int64     `json:"rows"`
			Shares []float64 `json:"shares"`
		} `json:"segments"`
	} `json:"bins"`
	PSI        map[string]float64            `json:"psi"`
	SegmentPSI map[string]map[string]float64 `json:"segment_psi"`
	ARI        float64                       `json:"ari"`
	// MultiPSI and MultiSegmentPSI are those of tags, a multi segmentation.
	MultiPSI        map[string]float64            `json:"multi_psi"`
	MultiSegmentPSI map[string]map[string]float64 `json:"multi_segment_psi"`
}

// The drift audit's bins and PSIs, and the stability audit's adjusted Rand index, agree with numpy's,
// pandas' and scikit-learn's (scripts/psi_reference.py, which writes testdata/drift/expected.json): two
// versions of a rules segmentation whose input has NULLs, tied values (deciles merged), a text category
// gone and one new, customers gone and new. The stability audit of an RFM and a k-means segmentation of
// the same data equals the adjusted Rand index of the two versions' memberships as the store holds them.
func TestDriftAndStabilityMatchNumpyAndScikitLearn(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"shop.yaml", "customers.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata/drift", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "shop.yaml")}
	first := f.mustRun("2024-01-31", func(o *RunOptions) { o.Vars = map[string]string{"period": "1"} })
	second := f.mustRun("2024-02-29", func(o *RunOptions) { o.Vars = map[string]string{"period": "2"} })
	var want driftExpected
	b, err := os.ReadFile("testdata/drift/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	close := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.17g, reference %.17g", what, got, want)
		}
	}
	closeAll := func(what string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, reference %v", what, got, want)
			return
		}
		for i := range got {
			close(fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
		}
	}

	// Version 1 stores its bins; it has nothing to compare with.
	v1 := f.summary(1, "value")
	if len(v1.AuditBins) != len(want.Bins) {
		t.Fatalf("version 1 stored bins of %d columns, want %d", len(v1.AuditBins), len(want.Bins))
	}
	for _, got := range v1.AuditBins {
		w := want.Bins[got.Column]
		if got.Kind != w.Kind || got.Rows != w.Rows || !slices.Equal(got.Categories, w.Categories) {
			t.Errorf("%s: kind %s, %d rows, categories %v; reference %s, %d, %v", got.Column, got.Kind, got.Rows, got.Categories, w.Kind, w.Rows, w.Categories)
		}
		closeAll(got.Column+" edges", got.Edges, w.Edges)
		closeAll(got.Column+" shares", got.Shares, w.Shares)
		for seg, ws := range w.Segments {
			gs := got.Segments[seg]
			if gs.Rows != ws.Rows {
				t.Errorf("%s in %s: %d rows, reference %d", got.Column, seg, gs.Rows, ws.Rows)
			}
			closeAll(got.Column+" in "+seg, gs.Shares, ws.Shares)
		}
	}
	for _, a := range v1.Audits {
		if a.Audit != "size" && a.Status != methods.AuditNotCompared {
			t.Errorf("version 1, audit %s: %s, want not compared", a.Audit, a.Status)
		}
	}

	// Version 2 compares with version 1.
	v2 := f.summary(2, "value")
	drift, stability := v2.Audits[0], v2.Audits[1]
	if drift.Against != 1 || drift.Status != methods.AuditFail {
		t.Errorf("drift against %d: %s, want a failure against version 1", drift.Against, drift.Status)
	}
	seen := 0
	for _, c := range drift.Checks {
		switch {
		case c.Segment == "" && c.Value != nil:
			close("PSI of "+c.Column, *c.Value, want.PSI[c.Column])
			if c.Failed != (*c.Value > 0.1) || c.Bound != "psi" {
				t.Errorf("PSI of %s: %+v", c.Column, c)
			}
			seen++
		case c.Value != nil:
			close(fmt.Sprintf("PSI of %s in %s", c.Column, c.Segment), *c.Value, want.SegmentPSI[c.Column][c.Segment])
			if c.Failed || c.Bound != "" {
				t.Errorf("a segment's PSI is reported, not held: %+v", c)
			}
			seen++
		}
	}
	if seen != 3+9 {
		t.Errorf("%d PSIs compared, want 3 columns and 3 segments of each", seen)
	}
	if len(stability.Checks) != 1 || stability.Checks[0].Value == nil {
		t.Fatalf("stability: %+v", stability)
	}
	close("ARI of the rules segmentation", *stability.Checks[0].Value, want.ARI)
	// The warnings name the segmentation, audit, column, value and threshold.
	if !slices.ContainsFunc(second.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "segmentation value: audit 1, drift: column tier: PSI 1.049, above drift.psi 0.1")
	}) {
		t.Errorf("warnings %q", second.Warnings)
	}
	if len(first.Warnings) == 0 || strings.Contains(strings.Join(first.Warnings, "\n"), "drift") {
		t.Errorf("version 1 warns of its sizes only: %q", first.Warnings)
	}

	// A multi segmentation: everyone's PSI is the same, each segment's is over its members.
	tags := f.summary(2, "tags").Audits[0]
	seen = 0
	for _, c := range tags.Checks {
		switch {
		case c.Value == nil:
			t.Errorf("tags: %+v", c)
		case c.Segment == "":
			close("tags: PSI of "+c.Column, *c.Value, want.MultiPSI[c.Column])
			seen++
		default:
			close(fmt.Sprintf("tags: PSI of %s in %s", c.Column, c.Segment), *c.Value, want.MultiSegmentPSI[c.Column][c.Segment])
			seen++
		}
	}
	if seen != 2+4 {
		t.Errorf("tags: %d PSIs compared, want 2 columns and 2 segments of each", seen)
	}

	// Stability of every method: the ARI of the memberships the store holds, over entities in both.
	for _, seg := range []string{"scores", "groups"} {
		rows := f.query(fmt.Sprintf(`SELECT a.segment, b.segment FROM memberships_as_of(1) a JOIN memberships_as_of(2) b
			USING (entity, segmentation) WHERE segmentation = '%s' ORDER BY entity`, seg))
		codes := map[string]int{}
		code := func(s string) int {
			if _, ok := codes[s]; !ok {
				codes[s] = len(codes)
			}
			return codes[s]
		}
		var a, b []int
		for _, r := range rows {
			pair := strings.Fields(r)
			a, b = append(a, code(pair[0])), append(b, code(pair[1]))
		}
		rep := f.summary(2, seg)
		st := rep.Audits[0]
		if len(rows) < 100 || st.Status == methods.AuditNotCompared || len(st.Checks) != 1 || st.Checks[0].Value == nil {
			t.Fatalf("%s: %d entities in both, audit %+v", seg, len(rows), st)
		}
		close("ARI of "+seg, *st.Checks[0].Value, algorithms.AdjustedRandIndex(a, b))
		if rep.Cluster != nil && (rep.Cluster.Stability == nil || *rep.Cluster.Stability != *st.Checks[0].Value) {
			t.Errorf("%s: the audit's ARI is not the clustering's own", seg)
		}
	}
}

// summary is segmentation seg's stored summary in version run.
func (f *fixture) summary(run int, seg string) SegmentationReport {
	f.t.Helper()
	rows := f.query(fmt.Sprintf("SELECT summary::VARCHAR FROM segrun_store.segmentation_versions WHERE run_id = %d AND segmentation = '%s'", run, seg))
	if len(rows) != 1 {
		f.t.Fatalf("%s: %d versions in run %d", seg, len(rows), run)
	}
	var text string
	if err := json.Unmarshal([]byte(rows[0]), &text); err != nil { // FormatValue quotes the text
		text = rows[0]
	}
	var rep SegmentationReport
	if err := json.Unmarshal([]byte(text), &rep); err != nil {
		f.t.Fatalf("%s: summary %s: %v", seg, text, err)
	}
	return rep
}

// The size audit's bounds, and how a segment new, gone, empty in both versions or unknown counts.
func TestSizeAudit(t *testing.T) {
	params := func(src string) *yaml.Node {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		return n.Content[0]
	}
	r := &auditRun{
		version: &store.Version{Segments: []string{"gone", "grown", "idle", "new", "steady"}},
		diff: &store.Diff{Entities: 100, Segments: []store.SegmentStat{
			{Segment: "grown", Size: 40}, {Segment: "new", Size: 10}, {Segment: "steady", Size: 50}}},
		prevRun:   3,
		prevStats: []store.SegmentStat{{Segment: "gone", Share: 0.2}, {Segment: "grown", Share: 0.3}, {Segment: "steady", Share: 0.5}},
	}
	res, err := sizeAudit.evaluate(context.Background(), r, params("{min: 0.05, max: 0.45, max_change: 0.25}"))
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string][]string{}
	for _, c := range res.Checks {
		if c.Failed {
			failed[c.Segment] = append(failed[c.Segment], c.Bound)
		}
	}
	want := map[string][]string{
		"gone":   {"min", "max_change"}, // share 0, changed by -1
		"grown":  {"max_change"},        // 0.3 -> 0.4: +33%
		"idle":   {"min"},               // empty in both: no change, but below min
		"new":    {"max_change"},        // none before: unbounded
		"steady": {"max"},               // 0.5, unchanged
	}
	if fmt.Sprint(failed) != fmt.Sprint(want) || res.Status != methods.AuditFail || res.Against != 3 {
		t.Errorf("failed checks %v (%s), want %v", failed, res.Status, want)
	}
	// Named segments limit it; a name neither version has fails.
	res, _ = sizeAudit.evaluate(context.Background(), r, params("{max_change: 0.25, segments: [steady, nosuch]}"))
	if len(res.Checks) != 2 || res.Checks[0].Failed || !res.Checks[1].Failed || res.Checks[1].Segment != "nosuch" {
		t.Errorf("named segments: %+v", res.Checks)
	}
	// The first version: no change to check; min and max hold it still.
	first := &auditRun{version: r.version, diff: r.diff}
	res, _ = sizeAudit.evaluate(context.Background(), first, params("{max_change: 0.25}"))
	if res.Status != methods.AuditNotCompared || len(res.Checks) != 0 {
		t.Errorf("first version, max_change only: %+v", res)
	}
	res, _ = sizeAudit.evaluate(context.Background(), first, params("{max: 0.45}"))
	if res.Status != methods.AuditFail {
		t.Errorf("first version, max: %+v", res)
	}
}

// The stability audit of a rules or RFM segmentation: the transitions between two segments are the
// contingency table; entities entering or leaving are not in it.
func TestStabilityAuditFromTransitions(t *testing.T) {
	r := &auditRun{report: &methods.Report{}, prevRun: 1, diff: &store.Diff{Transitions: []store.Transition{
		{From: "a", To: "a", Entities: 40}, {From: "a", To: "b", Entities: 10}, {From: "b", To: "b", Entities: 50},
		{From: "", To: "a", Entities: 1000}, {From: "b", To: "", Entities: 1000}}}}
	var a, b []int
	for _, c := range []struct{ from, to, n int }{{0, 0, 40}, {0, 1, 10}, {1, 1, 50}} {
		for range c.n {
			a, b = append(a, c.from), append(b, c.to)
		}
	}
	ari, ok := r.stability()
	if !ok || ari != algorithms.AdjustedRandIndex(a, b) {
		t.Errorf("ARI %v (%v), want %v", ari, ok, algorithms.AdjustedRandIndex(a, b))
	}
	r.diff.Transitions = r.diff.Transitions[3:]
	if _, ok := r.stability(); ok {
		t.Error("no entity in a segment in both versions, and yet an ARI")
	}
}

// PSI: identical shares give 0, an empty bin counts as psiEpsilon, a bin empty on both sides adds nothing.
func TestPSI(t *testing.T) {
	if v := psi([]float64{0.5, 0.5, 0}, []float64{0.5, 0.5, 0}); v != 0 {
		t.Errorf("identical: %v", v)
	}
	want := (0.5-1e-4)*math.Log(0.5/1e-4) + (0.5-1)*math.Log(0.5/1)
	if v := psi([]float64{1, 0}, []float64{0.5, 0.5}); math.Abs(v-want) > 1e-15 {
		t.Errorf("PSI %v, want %v", v, want)
	}
}
