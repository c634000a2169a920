package methods

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/sql"
)

// A segmentation's result table holds its segment as an ENUM of the segment names it can assign, sorted,
// not as VARCHAR. SQL reads it as text (comparisons with strings, LIKE, concatenation and, with the names
// sorted, ordering all behave as for VARCHAR), but DuckDB stores one byte per row instead of a string,
// and every step after the segmentation reads those bytes: the diff with the previous version, segment
// counts, the store's inserts. Strings had been half of publishing's CPU time (storing them, hashing them
// for DuckDB's statistics, scanning them back); on the benchmark's two 1M-row segmentations, in alternating
// runs, a first version took 0.2-0.3 s less (of 3.7-4.1 s) and a second 0.1-0.2 s less.

// SegmentType is the ENUM type of a segmentation whose segments are names.
func SegmentType(names []string) string {
	sorted := slices.Compact(slices.Sorted(slices.Values(names)))
	lits := make([]string, len(sorted))
	for i, n := range sorted {
		lits[i] = sql.Literal(n)
	}
	return "ENUM(" + strings.Join(lits, ", ") + ")"
}

// SegmentValue is the SQL constant of segment name in a column of type typ (a SegmentType).
func SegmentValue(name, typ string) string { return sql.Literal(name) + "::" + typ }

// SegmentCase is the SQL expression turning the code in codeCol into its segment: codes[i] becomes
// names[i], a value of SegmentType(names); any other code gives NULL.
func SegmentCase(codeCol string, codes []int, names []string) string {
	typ := SegmentType(names)
	var b strings.Builder
	b.WriteString("CASE " + codeCol)
	for i, n := range names {
		fmt.Fprintf(&b, " WHEN %d THEN %s", codes[i], SegmentValue(n, typ))
	}
	b.WriteString(" END")
	return b.String()
}

// Ordinals are the codes 0..n-1.
func Ordinals(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// IdentList is cols as a list of quoted SQL identifiers.
func IdentList(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = sql.Ident(c)
	}
	return strings.Join(out, ", ")
}
