package runner

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
