package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/store"
)

// writeRunSummary prints what a run did: per segmentation, each segment's size, share and movement, the
// rules' matches and NULL-skipped rows, then step timings.
func writeRunSummary(w io.Writer, r *runner.Result) {
	switch r.Outcome {
	case runner.OutcomeUnchanged:
		fmt.Fprintf(w, "%s: %s\n", r.Pipeline, r.Message)
		for _, x := range r.Exports { // the exports a retry wrote, that the version lacked
			fmt.Fprintf(w, "exported %s\n", x)
		}
		return
	case runner.OutcomeComputed: // engine postgres: sources and features only, nothing published yet
		fmt.Fprintf(w, "%s: %s\n", r.Pipeline, r.Message)
		for _, st := range r.Steps {
			fmt.Fprintf(w, "  %s %s: %d rows in %.2fs\n", st.Kind, st.Step, st.Rows, st.Seconds)
		}
		writeEngine(w, r)
		for _, s := range r.Segmentations { // sizes from the engine, against no previous version
			fmt.Fprintln(w)
			writeSegmentation(w, s)
		}
		return
	case runner.OutcomeDryRun:
		fmt.Fprintf(w, "%s: dry run as of %s; nothing was published. Against %s:\n", r.Pipeline, r.AsOf.Format(time.DateOnly), baseName(r.BaseRun))
	default:
		fmt.Fprintf(w, "%s: published version %d to %s (as of %s", r.Pipeline, r.RunID, r.Store, r.AsOf.Format(time.DateOnly))
		if r.RunKey != "" {
			fmt.Fprintf(w, ", run key %s", r.RunKey)
		}
		if r.Replaced != 0 {
			fmt.Fprintf(w, ", replacing version %d", r.Replaced)
		}
		fmt.Fprintf(w, "; compared with %s)\n", baseName(r.BaseRun))
	}
	for _, s := range r.Segmentations {
		fmt.Fprintln(w)
		writeSegmentation(w, s)
	}
	writeRunKPIs(w, r.KPIs)
	for _, m := range r.Models {
		fmt.Fprintln(w)
		writeModel(w, m)
	}
	retired, exited := "retired", "exited"
	if r.Outcome == runner.OutcomeDryRun {
		retired, exited = "would be retired", "would exit"
	}
	for _, x := range r.Retired {
		fmt.Fprintf(w, "\n%s: %s (no longer in the spec): its %s %s %s\n", x.Segmentation, retired, thousands(x.Members),
			plural.Form(x.Members, "member", "members"), exited)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nwarnings:")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  %s\n", x)
		}
	}
	fmt.Fprintln(w, "\nsteps:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, st := range r.Steps {
		took := fmt.Sprintf("%.2fs", st.Seconds)
		if st.ReadBy != "" {
			took = "read by " + st.ReadBy // its parsing time is the feature's
		}
		fmt.Fprintf(tw, "  %s %s\t%s rows\t%s\t\n", st.Kind, st.Step, thousands(st.Rows), took)
	}
	tw.Flush()
	for _, x := range r.Exports {
		fmt.Fprintf(w, "exported %s\n", x)
	}
	writeDeliveries(w, r)
	writeEngine(w, r)
	fmt.Fprintf(w, "total %.2fs\n", r.Seconds)
}

func baseName(run int64) string {
	if run == 0 {
		return "no previous version: everyone entered"
	}
	return fmt.Sprintf("version %d", run)
}

func writeSegmentation(w io.Writer, s runner.SegmentationReport) {
	d := s.Diff
	if d == nil {
		return
	}
	fmt.Fprintf(w, "%s (%s): %s of %s entities in a segment; %s entered, %s exited\n", s.Name, s.Method,
		thousands(d.Assigned), thousands(d.Entities), thousands(d.Entered), thousands(d.Exited))
	writeSegmentTable(w, d.Segments)
	order := make([]string, len(d.Segments))
	for i, st := range d.Segments {
		order[i] = st.Segment
	}
	writeProfileHighlights(w, s.Profiles, order)
	for _, r := range s.Rules {
		if r.NullSkipped > 0 {
			fmt.Fprintf(w, "  rule %s skipped %s %s with a NULL or NaN in a column it reads\n", r.Segment, thousands(r.NullSkipped), plural.Form(r.NullSkipped, "row", "rows"))
		}
	}
	if s.RuleEvaluations > 0 && s.RuleSeconds > 0 {
		fmt.Fprintf(w, "  %s rule evaluations in %.3fs (%.1fM/s)\n", thousands(s.RuleEvaluations), s.RuleSeconds,
			float64(s.RuleEvaluations)/s.RuleSeconds/1e6)
	}
	if c := s.Cluster; c != nil {
		writeClusterReport(w, c)
	}
	if c := s.CLV; c != nil {
		writeCLVReport(w, c)
	}
	if a := s.Audience; a != nil {
		writeAudienceReport(w, a)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	writeAuditsBrief(w, s.Audits)
}

func writeSegmentTable(w io.Writer, segs []store.SegmentStat) {
	rows := [][]string{{"segment", "size", "share", "entered", "exited", "stayed", ""}}
	for _, st := range segs {
		rows = append(rows, []string{st.Segment, thousands(st.Size), fmt.Sprintf("%.1f%%", 100*st.Share),
			thousands(st.Entered), thousands(st.Exited), thousands(st.Stayed), st.Description})
	}
	writeTable(w, rows)
}

// writeTable prints rows indented, the first column (names) and the last (free text) left-aligned and the
// columns between (numbers) right-aligned.
func writeTable(w io.Writer, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case i == len(r)-1:
				b.WriteString("  " + c)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// thousands writes 1234567 as 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
