package cli

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/sql/store"
)

// A rule that skipped one row said "skipped 1 rows".
func TestSummaryCountsAgreeWithTheirNumber(t *testing.T) {
	for n, want := range map[int64]string{1: "skipped 1 row with", 2: "skipped 2 rows with", 1234: "skipped 1,234 rows with"} {
		var b strings.Builder
		writeSegmentation(&b, runner.SegmentationReport{Name: "s", Method: "rules", Diff: &store.Diff{},
			Rules: []rules.Report{{Segment: "big", NullSkipped: n}}})
		if !strings.Contains(b.String(), want) {
			t.Errorf("%d skipped: want %q in\n%s", n, want, b.String())
		}
	}
}

// A retired segmentation with one member said "its 1 members exited".
func TestRetiredSummaryCountsAgree(t *testing.T) {
	var b strings.Builder
	writeRunSummary(&b, &runner.Result{Retired: []store.Retired{{Segmentation: "value", Members: 1}}})
	if !strings.Contains(b.String(), "its 1 member exited") {
		t.Errorf("want \"its 1 member exited\" in\n%s", b.String())
	}
}

// A dry run says what it would retire, not that it retired it.
func TestDryRunSummarySaysWhatWouldBeRetired(t *testing.T) {
	var b strings.Builder
	writeRunSummary(&b, &runner.Result{Outcome: runner.OutcomeDryRun, Retired: []store.Retired{{Segmentation: "value", Members: 3}}})
	if !strings.Contains(b.String(), "value: would be retired (no longer in the spec): its 3 members would exit") {
		t.Errorf("dry-run summary:\n%s", b.String())
	}
}
