package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
)

// The typed payloads encode exactly as the store's JSON was written before they were typed: the run
// records of the fixture store (written by the code of the time, from the runner's own structs) decode into
// Vars, SourceFingerprint and StepTiming and encode back byte for byte, and a version's summary and model
// come back from the store as they were stored.
func TestPayloadsKeepTheStoredJSON(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	loadFixture(t, "store_v3", path)
	db := openTest(t)
	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) == 0 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	for _, r := range runs {
		roundTrip[Vars](t, "vars", r.Vars)
		roundTrip[[]SourceFingerprint](t, "sources", r.Sources)
		roundTrip[[]StepTiming](t, "steps", r.Steps)
		segs, err := s.Segmentations(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range segs {
			v, err := s.Version(ctx, r.ID, seg)
			if err != nil {
				t.Fatal(err)
			}
			var summary, model string
			if err := db.QueryRow(ctx, `SELECT summary::VARCHAR, coalesce(model::VARCHAR, 'null') FROM segrun_store.segmentation_versions
				WHERE run_id = ? AND segmentation = ?`, r.ID, seg).Scan(&summary, &model); err != nil {
				t.Fatal(err)
			}
			if string(v.Summary.JSON()) != summary || string(v.Model.JSON()) != model {
				t.Errorf("run %d %s: the summary or model read back differs from the stored text", r.ID, seg)
			}
			if seg == "behaviour" {
				if m, ok, err := Decode[map[string]json.RawMessage](v.Model.Document); !ok || err != nil || m["prep"] == nil {
					t.Errorf("run %d: the clustering's model decodes as %v, %v, %v", r.ID, m, ok, err)
				}
			} else if !v.Model.IsNull() {
				t.Errorf("run %d %s: a rules version has a model: %s", r.ID, seg, v.Model.JSON())
			}
		}
	}
}

// roundTrip decodes stored JSON text into a T and encodes it again: the text must come back unchanged.
func roundTrip[T any](t *testing.T, what, text string) {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	d, err := Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(d.JSON()); got != text {
		t.Errorf("%s encodes as\n%s\nstored as\n%s", what, got, text)
	}
}
