package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/segrun/segrun/runner"
)

// writeMixedReport prints what a consensus (each member's agreement; its notes are among the
// segmentation's) or a search (the best candidate, the objective per generation, the top candidates and
// the block that freezes the best) did.
func writeMixedReport(w io.Writer, c *runner.ClusterReport) {
	if len(c.Fit.Members) > 0 {
		var parts []string
		for _, m := range c.Fit.Members {
			parts = append(parts, fmt.Sprintf("%s %.3f", m.Name, m.ARI))
		}
		fmt.Fprintf(w, "  consensus of %d members; their adjusted Rand index against it: %s\n", len(c.Fit.Members), strings.Join(parts, ", "))
	}
	s := c.Search
	if s == nil {
		return
	}
	fmt.Fprintf(w, "  %s search by %s: %d of %.0f candidates evaluated, each fitted on %d rows\n", s.Method, s.Objective, s.Evaluations, s.SpaceSize, s.SampleRows)
	if len(s.Generations) > 0 {
		var parts []string
		for _, g := range s.Generations {
			parts = append(parts, fmt.Sprintf("%.4g", g.Best))
		}
		fmt.Fprintf(w, "  best %s by generation: %s", s.Objective, strings.Join(parts, " "))
		if last := s.Generations[len(s.Generations)-1].Best; last != s.Best.Objective {
			fmt.Fprintf(w, "; hill climbing from the best: %.4g", s.Best.Objective)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "  top candidates:")
	for i, t := range s.Top {
		extra := ""
		if t.Stability != nil {
			extra = fmt.Sprintf(", stability %.3f", *t.Stability)
		}
		if !t.Feasible {
			extra += ", infeasible: " + t.Reason
		}
		var feats []string
		for _, f := range t.Features {
			if tr := t.Transforms[f]; tr != "" {
				f += "(" + tr + ")"
			}
			feats = append(feats, f)
		}
		fmt.Fprintf(w, "    %d. %s %.4f: %s k=%d, %s scaling, on %s (smallest cluster %.1f%%%s)\n", i+1, s.Objective, t.Objective,
			t.Method, t.K, t.Scale, strings.Join(feats, ", "), 100*t.SmallestShare, extra)
	}
	fmt.Fprintln(w, "  the best, as a cluster block to freeze it:")
	for _, line := range strings.Split(strings.TrimRight(s.Frozen, "\n"), "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
