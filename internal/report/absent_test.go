package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/segrun/segrun/internal/report"
)

// A segmentation without a profile is told why, truly: profiles are on by default, so "list columns under
// profile:" is no advice for a clv segmentation (profiles do not apply to its rows per purchase) or an
// audience (which has no profile: key); the report gave it for both.
func TestNoProfileSaysWhyForItsMethod(t *testing.T) {
	for method, want := range map[string]string{
		"clv":      "row per purchase",
		"audience": "segments it includes",
		"rules":    "profile: []",
	} {
		r := &report.Report{Segmentations: []*report.Segmentation{{Name: "s", Method: method}}}
		var page bytes.Buffer
		if err := report.Render(&page, r); err != nil {
			t.Fatal(err)
		}
		text := page.String()
		if strings.Contains(text, "list columns under") {
			t.Errorf("%s: the page advises listing columns under profile:, which profiles by default", method)
		}
		if !strings.Contains(text, want) {
			t.Errorf("%s: the page does not say %q about the missing profile", method, want)
		}
	}
}
