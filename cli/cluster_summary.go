package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner"
)

// writeClusterReport prints a clustering's fit, validity and stability under its segment table.
func writeClusterReport(w io.Writer, c *runner.ClusterReport) {
	how := "fitted"
	if !c.Fitted {
		how = fmt.Sprintf("assigned with the model of version %d (refit: never)", c.ModelRun)
	}
	fmt.Fprintf(w, "  %s, k=%d, %s", c.Method, c.K, how)
	if c.Fitted && c.Fit.NIter > 0 {
		fmt.Fprintf(w, " in %d iterations", c.Fit.NIter)
	}
	fmt.Fprintln(w)
	v := c.Validity
	if v.Reason != "" && v.SilhouetteSample == 0 {
		// Degenerate (one cluster, say): the scores are 0 by convention, and a Davies-Bouldin of 0 would
		// read as perfect.
		fmt.Fprintf(w, "  validity: not scored (%s), inertia %.4g\n", v.Reason, v.Inertia)
	} else {
		fmt.Fprintf(w, "  validity: silhouette %.3f", v.Silhouette)
		if v.SilhouetteSample > 0 {
			fmt.Fprintf(w, " (on a sample of %d)", v.SilhouetteSample)
		}
		fmt.Fprintf(w, ", Davies-Bouldin %.3f, Calinski-Harabasz %.1f, inertia %.4g", v.DaviesBouldin, v.CalinskiHarabasz, v.Inertia)
		if c.Fit.BIC != 0 {
			fmt.Fprintf(w, ", BIC %.6g, mean log-likelihood %.4f", c.Fit.BIC, c.Fit.LogLikelihood)
		}
		fmt.Fprintln(w)
	}
	if c.Stability != nil {
		fmt.Fprintf(w, "  stability: adjusted Rand index %.3f against the previous version\n", *c.Stability)
	}
	writeMixedReport(w, c)
	if len(c.KScores) > 0 {
		var parts []string
		for _, s := range c.KScores {
			parts = append(parts, fmt.Sprintf("k=%d %.4g", s.K, s.Score))
		}
		fmt.Fprintf(w, "  k chosen by %s: %s\n", c.KBy, strings.Join(parts, ", "))
	}
	if p := c.Prep; p != nil && len(p.ExplainedVarianceRatio) > 0 {
		total := 0.0
		for _, r := range p.ExplainedVarianceRatio {
			total += r
		}
		fmt.Fprintf(w, "  PCA: %d components explain %.1f%% of the variance\n", len(p.ExplainedVarianceRatio), 100*total)
	}
	if p := c.Prep; p != nil && len(p.Imputed) > 0 {
		var parts []string
		for _, col := range slices.Sorted(maps.Keys(p.Imputed)) { // in a stable order, run to run
			parts = append(parts, fmt.Sprintf("%s %d", col, p.Imputed[col]))
		}
		fmt.Fprintf(w, "  imputed: %s\n", strings.Join(parts, ", "))
	}
	if len(c.Profiles) > 0 && len(c.Profiles[0].Means) > 0 {
		fmt.Fprintln(w, "  profiles (mean ± standard deviation, in the features' own units):")
		for _, p := range c.Profiles {
			var parts []string
			for _, f := range slices.Sorted(maps.Keys(p.Means)) {
				parts = append(parts, fmt.Sprintf("%s %.4g ± %.4g", f, p.Means[f], p.SDs[f]))
			}
			fmt.Fprintf(w, "    %s: %s\n", p.Segment, strings.Join(parts, ", "))
		}
	}
	if len(c.Profiles) > 0 && c.Fidelity > 0 {
		fmt.Fprintf(w, "  why (a depth-3 tree's rules, %.0f%% faithful to the clusters):\n", 100*c.Fidelity)
		for _, p := range c.Profiles { // every leaf the cluster holds: a depth-3 tree has at most 8 in all
			for _, r := range p.Rules {
				fmt.Fprintf(w, "    %s: %s (%d rows, %.0f%% of them in it)\n", p.Segment, r.Rule, r.Support, 100*r.Precision)
			}
		}
	}
}
