package algorithms

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// BenchmarkFitBGNBD fits BG/NBD on 1M simulated customers: ages and recencies in continuous time (every
// customer's summary distinct, the worst case) and rounded to whole days as a summary of dated purchases
// has them (customers sharing a summary are one term of the likelihood).
func BenchmarkFitBGNBD(b *testing.B) {
	s := SimulateCLV(1_000_000, BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}, GammaGamma{P: 6, Q: 4, V: 15}, 1, 78, 0, 11)
	days := RFT{Frequency: s.Frequency, Recency: make([]float64, s.Len()), T: make([]float64, s.Len())}
	for i := range days.T {
		days.T[i] = math.Round(s.T[i]*7) / 7
		days.Recency[i] = math.Min(math.Round(s.Recency[i]*7)/7, days.T[i])
	}
	// The same data for scripts/clv_reference.py --time, which fits it with scipy.
	if path := os.Getenv("SEGRUN_CLV_BENCH_CSV"); path != "" {
		var sb strings.Builder
		sb.WriteString("frequency,recency,T\n")
		for i := range days.T {
			fmt.Fprintf(&sb, "%g,%.17g,%.17g\n", days.Frequency[i], days.Recency[i], days.T[i])
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		s    RFT
	}{{"continuous", s.RFT}, {"days", days}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := FitBGNBD(c.s, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
