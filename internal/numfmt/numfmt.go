// Package numfmt writes numbers for people without exponents: Go's %g writes a CLV tier starting at a
// million as 1e+06, which reads as a typo in a segment's definition and is not what a user would type in
// a rule.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Readable is v rounded to sig significant digits, in plain decimal with thousands separators:
// 1e6 -> 1,000,000; 1234.5678 -> 1,235 (sig 4); 0.00012346 -> 0.0001235. Non-finite values as Go writes them.
func Readable(v float64, sig int) string {
	s := Plain(v, sig)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// Plain is v rounded to sig significant digits in plain decimal without separators (1e6 -> 1000000), as
// a rule expression or SQL reads it back.
func Plain(v float64, sig int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', sig, 64), 64)
	if err != nil {
		r = v
	}
	if r == 0 {
		return "0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
