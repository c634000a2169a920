package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/segrun/segrun/algorithms"
)

// A store from before measurements (the version 4 fixture) reads as having none; upgraded (through 6 to
// 7), it keeps a measurement per version, outcome and window: measuring again replaces the row, another
// window adds one, and a version that is not published (run 2 of the fixture was replaced) is not listed.
func TestMeasurementsAfterTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	loadFixture(t, "store_v4", path)
	db := openTest(t)
	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := s.Measurements(ctx, "lifecycle"); err != nil || ms != nil {
		t.Fatalf("a version 4 store's measurements: %v, %v", ms, err)
	}
	if err := s.SaveMeasurement(ctx, Measurement{Run: 1}); err == nil {
		t.Fatal("saved a measurement in a version 4 store")
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}
	if s, err = Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	m := func(run int64, window int, lift float64) Measurement {
		l := algorithms.Lift{Kind: "rate", Absolute: algorithms.Estimate{Value: lift}}
		return Measurement{Run: run, Audience: "lifecycle", Outcome: "conversions", Metric: "converted", WindowDays: window,
			Overall: MeasuredGroup{Lift: &l}, Measured: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	}
	for _, x := range []Measurement{m(1, 30, 0.1), m(1, 30, 0.2), m(1, 60, 0.3), m(2, 30, 0.4), m(3, 30, 0.5)} {
		if err := s.SaveMeasurement(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := s.Measurements(ctx, "lifecycle")
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, x := range ms {
		got = append(got, float64(x.Run), float64(x.WindowDays), x.Overall.Lift.Absolute.Value)
	}
	want := []float64{3, 30, 0.5, 1, 30, 0.2, 1, 60, 0.3}
	if len(got) != len(want) {
		t.Fatalf("measurements (run, window, lift) %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("measurements (run, window, lift) %v, want %v", got, want)
		}
	}
	if !ms[0].Measured.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("measured at %v", ms[0].Measured)
	}
}
