package store

import "testing"

// A number KPI of ten thousand or more (count(*) of orders, a sum of revenue) read "1.442e+04" in the run's
// summary, segrun show and segrun kpis, beside differences such as "-8262"; it reads as a whole number.
func TestFormatKPINumberWithoutExponent(t *testing.T) {
	for v, want := range map[float64]string{
		14420:     "14420",
		-8262.4:   "-8262",
		1234567.8: "1234568",
		57.66:     "57.66",
		0.0001234: "0.0001234",
		0:         "0",
	} {
		if got := FormatKPI(&v, "number"); got != want {
			t.Errorf("FormatKPI(%v) = %q, want %q", v, got, want)
		}
	}
}
