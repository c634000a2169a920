package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/segrun/segrun/runner/methods"
)

// writeCLVReport prints a clv segmentation's fitted models, tiers and holdout check under its segment
// table.
func writeCLVReport(w io.Writer, c *methods.CLVReport) {
	fmt.Fprintf(w, "  customers: %s (%s with a repeat purchase), unit %s, horizon %d, discount rate %g per %s\n",
		thousands(int64(c.Customers)), thousands(int64(c.Repeat)), c.Unit, c.Horizon, c.DiscountRate, c.Unit)
	if c.SkippedRows > 0 {
		fmt.Fprintf(w, "  %s input rows are no purchase (no time, or an amount NULL or below 0) and were left out\n", thousands(c.SkippedRows))
	}
	fmt.Fprintf(w, "  BG/NBD: %s, log-likelihood %.6g\n", params(c.BGNBD.Params, "r", "alpha", "a", "b"), c.BGNBD.LogLikelihood)
	fmt.Fprintf(w, "  Gamma-Gamma (%s customers): %s, log-likelihood %.6g\n", thousands(int64(c.GammaGamma.Customers)),
		params(c.GammaGamma.Params, "p", "q", "v"), c.GammaGamma.LogLikelihood)
	if len(c.Mean) > 0 {
		fmt.Fprintf(w, "  means: P(alive) %.3f, expected purchases %.3f, expected value %.2f, CLV %.2f\n",
			c.Mean["p_alive"], c.Mean["expected_purchases"], c.Mean["expected_value"], c.Mean["clv"])
	}
	var tiers []string
	for _, t := range c.Tiers {
		if t.Quantile != nil {
			tiers = append(tiers, fmt.Sprintf("%s from %.4g (q%g)", t.Segment, t.From, 100**t.Quantile))
		} else {
			tiers = append(tiers, fmt.Sprintf("%s from %.4g", t.Segment, t.From))
		}
	}
	if len(tiers) > 0 {
		fmt.Fprintf(w, "  tiers by CLV: %s\n", strings.Join(tiers, ", "))
	}
	if h := c.Holdout; h != nil {
		fmt.Fprintf(w, "  holdout check: fitted on purchases before %s (%s customers; %s), %g %ss held out\n", h.CalibrationEnd,
			thousands(int64(h.BGNBD.Customers)), params(h.BGNBD.Params, "r", "alpha", "a", "b"), h.Units, c.Unit)
		rows := [][]string{{"frequency", "customers", "actual", "predicted", ""}}
		for _, b := range h.Buckets {
			f := fmt.Sprint(b.Frequency)
			if b.Frequency == 7 {
				f = "7+"
			}
			rows = append(rows, []string{f, thousands(int64(b.Customers)), fmt.Sprintf("%.3f", b.Actual), fmt.Sprintf("%.3f", b.Predicted), ""})
		}
		writeTable(w, rows)
	}
}

func params(p map[string]float64, names ...string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%.4g", n, p[n])
	}
	return strings.Join(parts, ", ")
}
