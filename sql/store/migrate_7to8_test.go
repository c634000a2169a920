package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A version 7 store (a current store with its deliveries table dropped and its version set back, as
// version 7 wrote them) is upgraded to 8 with its audiences' exports carried over as ok deliveries, and
// only those: a segmentation's export is not a delivery. The table then records attempts and finds the
// latest one for a content key.
func TestDeliveriesAfterTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	db := openTest(t)
	if _, err := Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, q := range []string{
		"DROP TABLE segrun_store.deliveries",
		"UPDATE segrun_store.segrun_meta SET value = '7' WHERE key = 'schema_version'",
		`INSERT INTO segrun_store.runs (run_id, pipeline, status, as_of, run_key, spec_hash, segrun_version, started_at, published_at)
			VALUES (3, 'shop', 'published', DATE '2026-03-01', 'k3', 'h', 'dev', TIMESTAMP '2026-03-01 12:00:00', TIMESTAMP '2026-03-01 12:00:00')`,
		"INSERT INTO segrun_store.segmentation_versions VALUES (3, 'winback', 'audience (holdout 10%)', 10, 10, NULL, NULL), (3, 'tiers', 'rules', 10, 10, NULL, NULL)",
		"INSERT INTO segrun_store.exports VALUES (3, 'winback', true, 'out/winback.csv', TIMESTAMP '2026-03-01 12:00:00'), (3, 'winback', false, 'webhook:$HOOK', TIMESTAMP '2026-03-01 12:00:00'), (3, 'tiers', false, 'out/tiers.csv', TIMESTAMP '2026-03-01 12:00:00')",
		"DETACH " + Catalog,
	} {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := s.Deliveries(ctx, "", 0); err != nil || ds != nil {
		t.Fatalf("a version 7 store's deliveries: %v, %v", ds, err)
	}
	if err := s.RecordDelivery(ctx, DeliveryRecord{}); err == nil {
		t.Fatal("recorded a delivery in a version 7 store")
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}
	if s, err = Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Deliveries(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("migrated deliveries %+v, want the audience's 2 exports", ds)
	}
	for _, d := range ds {
		if d.Audience != "winback" || d.Run != 3 || d.RunKey != "k3" || d.Status != DeliveryOK || d.Via != "migrated" || !d.Started.Equal(at) || d.Members != nil {
			t.Errorf("migrated delivery %+v", d)
		}
	}
	if ds[0].Mode == ds[1].Mode {
		t.Errorf("modes %s and %s, want changes and full", ds[0].Mode, ds[1].Mode)
	}
	two, n := 2, int64(7)
	for i, st := range []string{DeliveryPartial, DeliveryOK} {
		r := DeliveryRecord{ID: "winback/v3/hook", Audience: "winback", Destination: "hook", Target: "webhook:$HOOK", Run: 3, Mode: "changes",
			ContentKey: "abc", Entered: &n, Batches: &two, Status: st, Via: "run", Started: at.Add(time.Duration(i+1) * time.Hour), Finished: at.Add(time.Duration(i+1) * time.Hour)}
		if err := s.RecordDelivery(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.LastDelivery(ctx, "winback", "hook", "abc")
	if err != nil || last == nil || last.Status != DeliveryOK || *last.Batches != 2 || *last.Entered != 7 || last.Exited != nil {
		t.Fatalf("last delivery %+v, %v", last, err)
	}
	if last, err := s.LastDelivery(ctx, "winback", "hook", "other"); err != nil || last != nil {
		t.Fatalf("last delivery of other content %+v, %v", last, err)
	}
}
