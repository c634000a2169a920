package runner

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql/store"
)

// onlineRetailData is the real dataset beside the checkout; it is never copied into the repository.
const onlineRetailData = "../../shared/datasets/online_retail/online_retail.csv.gz"

// The online retail example runs on the real, messy UCI data and must agree with an independent pandas
// implementation of the same cleaning and rules (scripts/online_retail_reference.py, whose summary output is
// committed; the data is not).
func TestOnlineRetailExampleMatchesTheReference(t *testing.T) {
	if _, err := os.Stat(onlineRetailData); err != nil {
		t.Skipf("skipping: the real dataset is not at %s (../shared is not beside this checkout)", onlineRetailData)
	}
	var ref struct {
		Customers int                       `json:"customers"`
		Lifecycle map[string]int            `json:"lifecycle"`
		Sample    map[string]map[string]any `json:"customers_sample"`
	}
	raw, err := os.ReadFile("../examples/testdata/online_retail_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(t.TempDir(), "retail.duckdb")
	res, err := Run(context.Background(), "../examples/pipelines/online_retail.yaml", RunOptions{AsOf: date("2011-12-10"), StorePath: store})
	if err != nil {
		if res != nil && res.Validation != nil {
			t.Fatalf("%v: %v", err, res.Validation.Diagnostics)
		}
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	f := &fixture{t: t, dir: filepath.Dir(store)}
	os.Rename(store, filepath.Join(f.dir, "segrun.duckdb"))

	lc := res.Segmentations[0]
	if lc.Name != "lifecycle" || int(lc.Diff.Entities) != ref.Customers {
		t.Fatalf("lifecycle covers %d customers, the reference %d", lc.Diff.Entities, ref.Customers)
	}
	for _, s := range lc.Diff.Segments {
		if ref.Lifecycle[s.Segment] != int(s.Size) {
			t.Errorf("segment %s: %d customers, the reference %d", s.Segment, s.Size, ref.Lifecycle[s.Segment])
		}
	}
	if len(lc.Diff.Segments) != len(ref.Lifecycle) {
		t.Errorf("%d segments, the reference %d", len(lc.Diff.Segments), len(ref.Lifecycle))
	}
	// The segments must come from the same per-customer figures, not only the same counts.
	for id, want := range ref.Sample {
		got := f.query(`SELECT segment FROM segrun_store.current_memberships WHERE segmentation = 'lifecycle' AND entity = '` + id + `'`)
		if len(got) != 1 || strings.Trim(got[0], `"`) != want["lifecycle"] {
			t.Errorf("customer %s: segment %v, the reference %v", id, got, want["lifecycle"])
		}
	}
	value := res.Segmentations[1]
	if value.Name != "value" || int(value.Diff.Assigned) != ref.Customers {
		t.Errorf("every customer gets an RFM segment: %d of %d", value.Diff.Assigned, ref.Customers)
	}
}

// The online retail example's KPIs (what customers did in the 90 days from the as-of date) agree, per
// lifecycle segment and for the population, with an independent pandas computation of the same cleaning,
// segments and outcomes (scripts/online_retail_kpi_reference.py, whose output is committed).
func TestOnlineRetailKPIsMatchTheReference(t *testing.T) {
	if _, err := os.Stat(onlineRetailData); err != nil {
		t.Skipf("skipping: the real dataset is not at %s (../shared is not beside this checkout)", onlineRetailData)
	}
	type kpis struct {
		Members   int64   `json:"members"`
		Retention float64 `json:"retention_90d"`
		Revenue   float64 `json:"revenue_90d"`
	}
	var ref struct {
		AsOf       string          `json:"as_of"`
		Population kpis            `json:"population"`
		Lifecycle  map[string]kpis `json:"lifecycle"`
	}
	raw, err := os.ReadFile("../examples/testdata/online_retail_kpi_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), "../examples/pipelines/online_retail.yaml",
		RunOptions{AsOf: date(ref.AsOf), StorePath: filepath.Join(t.TempDir(), "retail.duckdb")})
	if err != nil {
		if res != nil && res.Validation != nil {
			t.Fatalf("%v: %v", err, res.Validation.Diagnostics)
		}
		t.Fatal(err)
	}
	got := map[string]map[string]store.KPIValue{}
	for _, v := range res.KPIs {
		if v.Segmentation != "lifecycle" {
			continue
		}
		seg := v.Segment
		if seg == "" {
			seg = "(population)"
		}
		if got[seg] == nil {
			got[seg] = map[string]store.KPIValue{}
		}
		got[seg][v.KPI] = v
	}
	want := map[string]kpis{"(population)": ref.Population}
	for seg, k := range ref.Lifecycle {
		want[seg] = k
	}
	if len(got) != len(want) {
		t.Errorf("KPIs for %d segments and the population, the reference %d", len(got)-1, len(want)-1)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for seg, w := range want {
		for name, wv := range map[string]float64{"retention_90d": w.Retention, "revenue_90d": w.Revenue} {
			g, ok := got[seg][name]
			switch {
			case !ok || g.Value == nil:
				t.Errorf("%s %s: no value, the reference %v", seg, name, wv)
			case !close(*g.Value, wv):
				t.Errorf("%s %s: %v, the reference %v", seg, name, *g.Value, wv)
			case g.Members != w.Members:
				t.Errorf("%s %s: computed on %d members, the reference %d", seg, name, g.Members, w.Members)
			}
		}
	}
}
