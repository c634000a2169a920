package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/segrun/segrun/runner/methods"
)

// auditsHeading is how a version's audits are introduced: against which version they compared.
func auditsHeading(audits []methods.AuditResult) string {
	for _, a := range audits {
		if a.Against != 0 {
			return fmt.Sprintf("audits against version %d", a.Against)
		}
	}
	return "audits (first version)"
}

// writeAuditsBrief prints a segmentation's audits in one line of the run summary: each one's outcome
// (failures are listed under warnings, or stopped the run).
func writeAuditsBrief(w io.Writer, audits []methods.AuditResult) {
	if len(audits) == 0 {
		return
	}
	parts := make([]string, len(audits))
	for i, a := range audits {
		parts[i] = a.Audit + " " + statusText(a)
	}
	fmt.Fprintf(w, "  %s: %s\n", auditsHeading(audits), strings.Join(parts, ", "))
}

func statusText(a methods.AuditResult) string {
	s := strings.ReplaceAll(a.Status, "_", " ")
	if a.Status == methods.AuditFail && a.Severity == "warn" {
		s += " (warn)"
	}
	return s
}

// writeAudits prints every audit of a version with each check it made (segrun show).
func writeAudits(w io.Writer, audits []methods.AuditResult) {
	if len(audits) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", auditsHeading(audits))
	for _, a := range audits {
		fmt.Fprintf(w, "  %d %s (severity %s): %s", a.Index, a.Audit, a.Severity, strings.ReplaceAll(a.Status, "_", " "))
		if a.Note != "" {
			fmt.Fprintf(w, "; %s", a.Note)
		}
		fmt.Fprintln(w)
		for _, c := range a.Checks {
			mark := "  "
			if c.Failed {
				mark = "! "
			}
			fmt.Fprintf(w, "    %s%s\n", mark, c.Describe(a.Audit))
		}
	}
}
