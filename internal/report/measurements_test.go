package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/internal/report"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// An audience's section shows what segrun measure stored: each outcome's comparisons, overall first, with
// the stored counts, and the page says so; a segmentation has no lift section.
func TestTheLiftSectionShowsTheStoredMeasurement(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "endtoend", "measure")
	for _, f := range []string{"spec.yaml", "data/orders.csv", "data/campaign.csv"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := filepath.Join(dir, "spec.yaml")
	segrun(t, "run", spec, "--as-of", "2024-12-31")
	var m store.Measurement
	if err := json.Unmarshal([]byte(segrun(t, "measure", "promo", "--outcome", "conversions", spec, "--format", "json")), &m); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := store.Attach(ctx, db, filepath.Join(dir, "segrun.duckdb"), store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Load(ctx, st, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var promo *report.Segmentation
	for _, s := range r.Segmentations {
		if s.Name == "promo" {
			promo = s
		} else if s.Measurements != nil {
			t.Errorf("%s has a lift section; only promo was measured", s.Name)
		}
	}
	if promo == nil || promo.Measurements == nil || len(promo.Measurements.Measurements) != 1 {
		t.Fatalf("promo's lift section: %+v", promo)
	}
	v := promo.Measurements.Measurements[0]
	if v.Outcome != "conversions" || len(v.Rows) != 1+len(m.Segments) {
		t.Fatalf("section %+v, measured %d segments", v, len(m.Segments))
	}
	if row := v.Rows[0]; row.Treated != int64(m.Overall.Treatment.N) || row.Control != int64(m.Overall.Control.N) {
		t.Errorf("overall row %+v, measured %d treated and %d held out", row, m.Overall.Treatment.N, m.Overall.Control.N)
	}
	var page bytes.Buffer
	if err := report.Render(&page, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `<table aria-label="lift on conversions"`) {
		t.Error("the page has no lift table")
	}
}
