package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"

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
