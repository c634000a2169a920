package cli

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner"
)

// writeSegmentProfiles prints a version's profiles compactly: a row per segment and the population, a
// column per profiled column; numbers by their mean and lift, texts by their most frequent value and its
// share, in the order of the segment table above (order: its segments' names). The rest (median, p10,
// p90, SD, more values) is in --format json.
func writeSegmentProfiles(w io.Writer, p *runner.SegmentProfiles, order []string) {
	if p == nil || len(p.Numbers)+len(p.Texts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nprofiles (numbers: mean and lift against everyone; text: the most frequent value and its share):")
	header := append([]string{"segment"}, p.Numbers...)
	rows := [][]string{append(header, p.Texts...)}
	segments := slices.Clone(p.Segments)
	slices.SortStableFunc(segments, func(a, b runner.SegmentProfile) int {
		return cmp.Compare(rank(order, a.Segment), rank(order, b.Segment))
	})
	for _, s := range append(segments, p.Population) {
		name := s.Segment
		if name == "" {
			name = "(everyone)"
		}
		row := []string{name}
		for _, col := range p.Numbers {
			row = append(row, numberCell(s.Numbers[col]))
		}
		for _, col := range p.Texts {
			row = append(row, textCell(s.Texts[col]))
		}
		rows = append(rows, row)
	}
	writeTable(w, rows)
	writeUnprofiled(w, p)
}

// writeUnprofiled says when the default's cap left numeric columns out of the profiles.
func writeUnprofiled(w io.Writer, p *runner.SegmentProfiles) {
	if p.Unprofiled > 0 {
		fmt.Fprintf(w, "  note: profiles describe the first %d numeric columns; %d more are not profiled (profile: names the columns)\n",
			len(p.Numbers), p.Unprofiled)
	}
}

// profileHighlights is how many columns the run's summary names per segment.
const profileHighlights = 3

// writeProfileHighlights prints, for the run's summary, each segment's columns that set it most apart
// from everyone: numbers by the lift of their mean, texts by their most frequent value's lift, the
// furthest from 1 (in ratio: 0.5x is as far as 2x) first, at most profileHighlights of them. segrun show
// prints the whole profile.
func writeProfileHighlights(w io.Writer, p *runner.SegmentProfiles, order []string) {
	if p == nil || len(p.Numbers)+len(p.Texts) == 0 || len(p.Segments) == 0 {
		return
	}
	type lift struct {
		text string
		far  float64
	}
	segments := slices.Clone(p.Segments)
	slices.SortStableFunc(segments, func(a, b runner.SegmentProfile) int {
		return cmp.Compare(rank(order, a.Segment), rank(order, b.Segment))
	})
	fmt.Fprintln(w, "  profile (the columns furthest from everyone's: a mean, or a most frequent value's share, and its lift):")
	rows := [][]string{}
	for _, s := range segments {
		var lifts []lift
		for _, col := range p.Numbers {
			if n := s.Numbers[col]; n.Lift != nil && *n.Lift > 0 {
				lifts = append(lifts, lift{fmt.Sprintf("%s %.4g (%.2fx)", col, *n.Mean, *n.Lift), math.Abs(math.Log(*n.Lift))})
			}
		}
		for _, col := range p.Texts {
			if v := s.Texts[col]; len(v) > 0 && v[0].Lift > 0 {
				lifts = append(lifts, lift{fmt.Sprintf("%s %s %.0f%% (%.2fx)", col, v[0].Value, 100*v[0].Share, v[0].Lift), math.Abs(math.Log(v[0].Lift))})
			}
		}
		slices.SortStableFunc(lifts, func(a, b lift) int { return cmp.Compare(b.far, a.far) })
		texts := make([]string, 0, profileHighlights)
		for _, l := range lifts[:min(len(lifts), profileHighlights)] {
			texts = append(texts, l.text)
		}
		if len(texts) == 0 {
			texts = append(texts, "-")
		}
		rows = append(rows, []string{"  " + s.Segment, strings.Join(texts, ", ")})
	}
	writeTable(w, rows)
	writeUnprofiled(w, p)
}

func numberCell(n runner.NumberProfile) string {
	switch {
	case n.Mean == nil:
		return "-"
	case n.Lift == nil:
		return fmt.Sprintf("%.4g", *n.Mean)
	}
	return fmt.Sprintf("%.4g (%.2fx)", *n.Mean, *n.Lift)
}

func textCell(values []runner.TextValue) string {
	if len(values) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s %.0f%%", values[0].Value, 100*values[0].Share)
}

// rank is segment's place in order; a segment not in it comes last.
func rank(order []string, segment string) int {
	if i := slices.Index(order, segment); i >= 0 {
		return i
	}
	return len(order)
}
