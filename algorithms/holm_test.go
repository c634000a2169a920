package algorithms

import (
	"math"
	"testing"
)

// Holm's adjustment on a fixed set, as statsmodels' multipletests(method='holm') gives it: sorted 0.01,
// 0.02, 0.03, 0.04, 0.5 (m = 5) times 5, 4, 3, 2, 1 are 0.05, 0.08, 0.09, 0.08, 0.5, and the running
// maximum makes the fourth 0.09; the set is given unsorted to check the results come back in input order.
// The flagship's per-segment p-values are checked against statsmodels in cli (TestMeasureFlagshipCampaign).
func TestHolmAdjust(t *testing.T) {
	got := HolmAdjust([]float64{0.04, 0.5, 0.01, 0.03, 0.02})
	want := []float64{0.09, 0.5, 0.05, 0.09, 0.08}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("HolmAdjust = %v, want %v", got, want)
		}
	}
	if got := HolmAdjust([]float64{0.3, 0.4}); got[0] != 0.6 || got[1] != 0.6 {
		t.Errorf("HolmAdjust(0.3, 0.4) = %v, want 0.6 0.6 (the running maximum)", got)
	}
	if got := HolmAdjust([]float64{0.6, 0.7}); got[0] != 1 || got[1] != 1 {
		t.Errorf("capped at 1: %v", got)
	}
	if got := HolmAdjust(nil); len(got) != 0 {
		t.Errorf("HolmAdjust(nil) = %v", got)
	}
}
