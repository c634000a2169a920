package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/segrun/segrun/sql"
)

// A store of schema version 4 (no kpi_values) reads as having no KPIs, and its first write adds the
// table: a version's KPI values are then published and read back, with the comparison view.
func TestVersion4StoreGainsKPIValues(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	db := openTest(t)
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec("ATTACH " + sql.Literal(path) + " AS " + Catalog)
	for _, q := range storeDDL {
		if q != kpiValuesDDL { // version 4 had every table but this one
			exec(q)
		}
	}
	exec(`INSERT INTO segrun_store.segrun_meta VALUES ('schema_version', '4')`, "DETACH "+Catalog)

	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatalf("reading a version 4 store: %v", err)
	}
	if got, err := s.KPIValues(ctx, 1, ""); err != nil || got != nil {
		t.Fatalf("a version 4 store's KPIs: %v, %v; want none", got, err)
	}
	if got, err := s.KPIHistory(ctx, "", ""); err != nil || got != nil {
		t.Fatalf("a version 4 store's KPI history: %v, %v; want none", got, err)
	}
	exec("DETACH " + Catalog)

	s, err = Attach(ctx, db, path, ReadWrite, 0)
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q after the upgrade, want %d", v, SchemaVersion)
	}
	pop, seg := 0.5, 0.75
	values := []KPIValue{
		{Segmentation: "lifecycle", KPI: "retention", Value: &pop, Members: 4, Format: "percent", Description: "kept"},
		{Segmentation: "lifecycle", KPI: "retention", Segment: "loyal", Position: 1, Value: &seg, Members: 2, Format: "percent", Description: "kept"},
		{Segmentation: "lifecycle", KPI: "retention", Segment: "gone", Position: 2, Members: 0, Format: "percent", Description: "kept"},
	}
	if _, err := s.Publish(ctx, RunRecord{ID: 1, Pipeline: "shop", SpecHash: "h", Entity: "customer_id", EntityType: "BIGINT", KPIs: values},
		0, nil, nil, PublishOptions{}); err != nil {
		t.Fatalf("publishing KPIs: %v", err)
	}
	got, err := s.KPIValues(ctx, 1, "lifecycle")
	if err != nil || len(got) != 3 || got[0].Segment != "" || *got[1].Value != 0.75 || got[2].Value != nil || got[2].Members != 0 {
		t.Fatalf("KPI values read back: %+v, %v", got, err)
	}
	var ratio float64
	if err := db.QueryRow(ctx, `SELECT ratio FROM segrun_store.kpi_comparison WHERE segment = 'loyal'`).Scan(&ratio); err != nil || ratio != 1.5 {
		t.Errorf("kpi_comparison ratio %v (%v), want 1.5", ratio, err)
	}
	if c := Compare(got); len(c) != 2 || *c[0].Ratio != 1.5 || *c[0].Difference != 0.25 || c[1].Ratio != nil {
		t.Errorf("Compare: %+v", c)
	}
}
