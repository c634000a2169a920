package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods"
)

// writeAudienceReport prints an audience's funnel (what each condition removed, in the order they apply),
// what higher audiences of its priority list took, and its holdout as realised, with the sample ratio
// mismatch test.
func writeAudienceReport(w io.Writer, a *methods.AudienceReport) {
	fmt.Fprintf(w, "  %s in the included segments", thousands(a.Candidates))
	for _, step := range []struct {
		n    int64
		what string
	}{{a.Excluded, "excluded"}, {a.NotWhere, "not where"}, {a.NoConsent, "without consent"}} {
		if step.n > 0 {
			fmt.Fprintf(w, ", %s %s", thousands(step.n), step.what)
		}
	}
	fmt.Fprintf(w, ": %s qualified\n", thousands(a.Qualified))
	if len(a.LostTo) > 0 {
		parts := make([]string, len(a.LostTo))
		for i, l := range a.LostTo {
			parts[i] = fmt.Sprintf("%s to %s", thousands(l.Entities), l.Audience)
		}
		fmt.Fprintf(w, "  priority list %s: lost %s to higher audiences (%s)\n", a.PriorityList, thousands(a.LostToHigher), strings.Join(parts, ", "))
	}
	if h := a.Holdout; h != nil {
		verdict := "no sample ratio mismatch"
		if h.Mismatch {
			verdict = "SAMPLE RATIO MISMATCH"
		}
		fmt.Fprintf(w, "  holdout %.2f%% realised of %g%% declared (chi-square %.3f, p = %.3g: %s)\n",
			100*h.Realised, 100*h.Share, h.ChiSquare, h.PValue, verdict)
	}
}

// writeDeliveries prints what each audience's destination received (a dry run: would receive).
func writeDeliveries(w io.Writer, r *runner.Result) {
	for _, d := range r.Deliveries {
		verb := "delivered"
		switch {
		case r.Outcome == runner.OutcomeDryRun:
			verb = "would deliver"
		case !d.Written:
			verb = "did not deliver"
		}
		fmt.Fprintf(w, "%s %s %s of %s to %s (%s, %s)\n", verb, thousands(d.Rows), plural.Form(d.Rows, "row", "rows"), d.Audience, d.Destination, d.Path, d.Mode)
		writeDeliveryPreview(w, d)
	}
}

// writeDeliveryPreview prints a dry run's rows of one destination as it would receive them, indented
// under its line.
func writeDeliveryPreview(w io.Writer, d runner.Delivery) {
	if len(d.Columns) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.Join(d.Columns, "\t"))
	for _, r := range d.Preview {
		fmt.Fprintln(tw, "  "+strings.Join(r, "\t"))
	}
	tw.Flush()
	if n := int64(len(d.Preview)); n < d.Rows {
		fmt.Fprintf(w, "  (the first %d of %s rows; --preview N shows more, -1 all)\n", n, thousands(d.Rows))
	}
}
