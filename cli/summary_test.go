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

// The run's summary names each segment's columns furthest from everyone's, a lift of 0.5x as far as one
// of 2x (in ratio), at most profileHighlights of them, in the segment table's order, and says when the
// default's cap left columns out.
func TestSummaryProfileHighlights(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	num := func(mean, lift float64) runner.NumberProfile {
		return runner.NumberProfile{Mean: f(mean), Lift: f(lift)}
	}
	p := &runner.SegmentProfiles{
		Numbers: []string{"a", "b", "c", "d"}, Texts: []string{"t"}, Unprofiled: 7,
		Segments: []runner.SegmentProfile{
			{Segment: "small", Numbers: map[string]runner.NumberProfile{"a": num(1, 1.1), "b": num(2, 0.4), "c": num(3, 2.4), "d": num(4, 0.9)},
				Texts: map[string][]runner.TextValue{"t": {{Value: "x", Share: 0.5, Lift: 1.05}}}},
			{Segment: "big", Numbers: map[string]runner.NumberProfile{"a": num(1, 1)},
				Texts: map[string][]runner.TextValue{"t": {{Value: "y", Share: 0.9, Lift: 3}}}},
		},
	}
	var b strings.Builder
	writeSegmentation(&b, runner.SegmentationReport{Name: "s", Method: "rules", Profiles: p, Diff: &store.Diff{
		Segments: []store.SegmentStat{{Segment: "big"}, {Segment: "small"}}}})
	out := b.String()
	for _, want := range []string{
		"    big    t y 90% (3.00x), a 1 (1.00x)\n",
		"    small  b 2 (0.40x), c 3 (2.40x), d 4 (0.90x)\n", // 0.9x is further than 1.1x
		"the first 4 numeric columns; 7 more are not profiled",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in\n%s", want, out)
		}
	}
	if strings.Index(out, "big ") > strings.Index(out, "small ") {
		t.Errorf("segments not in the table's order:\n%s", out)
	}
}
