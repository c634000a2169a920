package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/segrun/segrun/internal/numfmt"
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
		fmt.Fprintf(w, "  means: P(alive) %.3f, expected purchases %.3f, expected value %s, CLV %s\n",
			c.Mean["p_alive"], c.Mean["expected_purchases"], money(c.Mean["expected_value"]), money(c.Mean["clv"]))
	}
	var tiers []string
	for _, t := range c.Tiers {
		if t.Quantile != nil {
			tiers = append(tiers, fmt.Sprintf("%s from %s (q%g)", t.Segment, numfmt.Readable(t.From, 4), 100**t.Quantile))
		} else {
			tiers = append(tiers, fmt.Sprintf("%s from %s", t.Segment, numfmt.Readable(t.From, 4)))
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
		v := p[n]
		if v >= 1 || v <= -1 { // a scale parameter in the amounts' units (Gamma-Gamma's v) can be millions
			parts[i] = n + "=" + numfmt.Readable(v, 4)
		} else {
			parts[i] = fmt.Sprintf("%s=%.4g", n, v)
		}
	}
	return strings.Join(parts, ", ")
}

// money is an amount with two decimals and thousands separators.
func money(v float64) string {
	s := fmt.Sprintf("%.2f", math.Abs(v))
	whole, cents, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseFloat(whole, 64)
	sign := ""
	if v < 0 && s != "0.00" {
		sign = "-"
	}
	return sign + numfmt.Readable(w, 17) + "." + cents
}
