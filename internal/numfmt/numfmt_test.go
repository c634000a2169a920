package numfmt

import (
	"math"
	"testing"
)

func TestReadableAndPlainHaveNoExponent(t *testing.T) {
	for _, c := range []struct {
		v             float64
		sig           int
		readable, pln string
	}{
		{1e6, 4, "1,000,000", "1000000"},
		{2.5e7, 6, "25,000,000", "25000000"},
		{1.5e8, 4, "150,000,000", "150000000"},
		{1234.5678, 4, "1,235", "1235"},
		{-1234567.891, 6, "-1,234,570", "-1234570"},
		{0.00012346, 4, "0.0001235", "0.0001235"},
		{12.5, 4, "12.5", "12.5"},
		{0, 4, "0", "0"},
		{math.Copysign(0, -1), 4, "0", "0"},
		{999.96, 4, "1,000", "1000"},
		{math.Inf(1), 4, "+Inf", "+Inf"},
	} {
		if got := Readable(c.v, c.sig); got != c.readable {
			t.Errorf("Readable(%v, %d) = %q, want %q", c.v, c.sig, got, c.readable)
		}
		if got := Plain(c.v, c.sig); got != c.pln {
			t.Errorf("Plain(%v, %d) = %q, want %q", c.v, c.sig, got, c.pln)
		}
	}
}
