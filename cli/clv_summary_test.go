package cli

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/runner/methods"
)

// The run summary's and show's tier starts read as numbers, not 1e+06 (a review finding).
func TestCLVReportTierStartsHaveNoExponent(t *testing.T) {
	q := 0.95
	var w strings.Builder
	writeCLVReport(&w, &methods.CLVReport{Unit: "week", Horizon: 52,
		BGNBD:      methods.CLVFit{Params: map[string]float64{"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}, LogLikelihood: -9582.4},
		GammaGamma: methods.CLVFit{Params: map[string]float64{"p": 4.7, "q": 4.2, "v": 2.439e6}, LogLikelihood: -17997.8},
		Tiers:      []methods.CLVTier{{Segment: "low", From: 0}, {Segment: "mid", From: 1e6}, {Segment: "top", From: 1.5e8, Quantile: &q}}})
	out := w.String()
	if !strings.Contains(out, "tiers by CLV: low from 0, mid from 1,000,000, top from 150,000,000 (q95)") {
		t.Errorf("tiers line:\n%s", out)
	}
	if !strings.Contains(out, "v=2,439,000") {
		t.Errorf("Gamma-Gamma's v in millions:\n%s", out)
	}
}

func TestMoneyHasSeparatorsAndCents(t *testing.T) {
	for v, want := range map[float64]string{3593741.75: "3,593,741.75", 0: "0.00", 999.999: "1,000.00", -1234.5: "-1,234.50", 12.345: "12.35", -0.001: "0.00"} {
		if got := money(v); got != want {
			t.Errorf("money(%v) = %q, want %q", v, got, want)
		}
	}
}
