package algorithms

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// The sample-ratio-mismatch test agrees with scipy.stats.chisquare (scripts/srm_reference.py) on splits
// from exact to grossly off, shares from one in a million to a half.
func TestSRMMatchesScipy(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden/srm.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Control, Treatment int64
		Share              float64
		ChiSquare          float64 `json:"chi_square"`
		PValue             float64 `json:"p_value"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	close := func(got, want float64) bool {
		return math.Abs(got-want) <= 1e-12+1e-9*math.Abs(want)
	}
	for _, c := range cases {
		chi2, p := SampleRatioMismatch(c.Control, c.Treatment, c.Share)
		if !close(chi2, c.ChiSquare) || !close(p, c.PValue) {
			t.Errorf("%d/%d against %v: chi-square %v p %v, scipy says %v and %v", c.Control, c.Treatment, c.Share, chi2, p, c.ChiSquare, c.PValue)
		}
		if mismatch := p < SRMAlpha; mismatch != (c.PValue < SRMAlpha) {
			t.Errorf("%d/%d against %v: mismatch %v, scipy's p %v", c.Control, c.Treatment, c.Share, mismatch, c.PValue)
		}
	}
}
