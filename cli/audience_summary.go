package cli

import (
	"fmt"
	"io"
	"strings"

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
