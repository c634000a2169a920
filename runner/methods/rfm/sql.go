package rfm

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/sql"
)

// RFM on an engine: the scores as one SQL statement that DuckDB and PostgreSQL both run, so an engine
// holding the data scores it where it lies and only the segment counts come back. The statement computes
// exactly what algorithms.RFMScores computes (its doc has the tie rule):
//
//	score = 1 + floor(bins × (rank() OVER (ORDER BY v) - 1) / count(v) OVER ())   -- DESC for recency
//
// with v the measure as DOUBLE PRECISION (as Go reads every numeric column: integers and decimals to the
// nearest double) and NULL for a missing value (NULL or NaN), which then gets a NULL score and takes no
// part in the ranking (NULLS LAST keeps it out of the other rows' ranks; count(v) skips it). rank() is
// the competition rank, 1 + the number of values strictly before, which is the tie rule's "worse"
// count + 1. The division is in double precision on both engines (PostgreSQL divides integers
// by truncating, DuckDB's / does not): bins × worse and n are exact doubles, and one correctly rounded
// division of them never crosses an integer that the true quotient does not reach (for n below 2^49),
// so floor gives the integer quotient Go's bins*worse/n gives.
//
// ±Inf is an error in Go, naming the column; SQL has no portable way to raise one inside a SELECT, so
// InfinitiesSQL counts them first and InfinitiesError turns the counts into the same error.

// ScoresSQL is one statement over from giving entity, r_score, f_score and m_score (BIGINT, NULL where
// the measure is missing) for every row of from, as algorithms.RFMScores scores them.
func ScoresSQL(from, entity, recency, frequency, monetary string, bins int) (string, error) {
	if bins < 2 || bins > 10 {
		return "", fmt.Errorf("rfm: bins must be in 2..10, got %d", bins)
	}
	score := func(v string, lowerIsBetter bool) string {
		order := "ASC"
		if lowerIsBetter {
			order = "DESC" // recency: worse means strictly greater
		}
		return fmt.Sprintf("CASE WHEN %[1]s IS NULL THEN NULL ELSE CAST(1 + floor(CAST(%[2]d * (rank() OVER (ORDER BY %[1]s %[3]s NULLS LAST) - 1) AS DOUBLE PRECISION) / count(%[1]s) OVER ()) AS BIGINT) END",
			v, bins, order)
	}
	return fmt.Sprintf("SELECT %s, %s AS r_score, %s AS f_score, %s AS m_score FROM (SELECT %s, %s AS segrun_r, %s AS segrun_f, %s AS segrun_m FROM %s) segrun_rfm_values",
		sql.Ident(entity), score("segrun_r", true), score("segrun_f", false), score("segrun_m", false),
		sql.Ident(entity), measure(recency), measure(frequency), measure(monetary), sql.Ident(from)), nil
}

// measure is column as the double Go reads it, NULL for NULL and NaN (both engines hold NaN equal to
// itself, so the comparison finds it).
func measure(column string) string {
	v := "CAST(" + sql.Ident(column) + " AS DOUBLE PRECISION)"
	return fmt.Sprintf("CASE WHEN %[1]s = CAST('NaN' AS DOUBLE PRECISION) THEN NULL ELSE %[1]s END", v)
}

// InfinitiesSQL counts the rows of from whose recency, frequency or monetary value is +Inf or -Inf: one
// row of three BIGINT counts, for InfinitiesError.
func InfinitiesSQL(from, recency, frequency, monetary string) string {
	count := func(column string) string {
		return fmt.Sprintf("count(CASE WHEN abs(CAST(%s AS DOUBLE PRECISION)) = CAST('Infinity' AS DOUBLE PRECISION) THEN 1 END)", sql.Ident(column))
	}
	return fmt.Sprintf("SELECT %s, %s, %s FROM %s", count(recency), count(frequency), count(monetary), sql.Ident(from))
}

// InfinitiesError is the error algorithms.RFMScores gives for the counts InfinitiesSQL returns, naming
// the column the user knows (the first of recency, frequency, monetary that has any), or nil.
func InfinitiesError(recency, frequency, monetary string, counts [3]int64) error {
	for i, col := range []string{recency, frequency, monetary} {
		if counts[i] > 0 {
			return &algorithms.DataError{Column: col, Count: int(counts[i]), Reason: "values are +Inf or -Inf"}
		}
	}
	return nil
}

// GridCaseSQL is the named grid for bins as a CASE over r_score, f_score and m_score giving each row its
// segment: first match, elseSegment (NULL when "") for a row no segment holds, which is a row with a NULL
// score, as the rule engine skips a rule reading NULL. The grid is a partition of 1..bins³, so the first
// match is the only one and multi: true gives the same segments.
func GridCaseSQL(bins int, elseSegment string) (string, error) {
	grid, err := algorithms.RFMGridFor(bins)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("CASE")
	for _, g := range grid {
		// ceil((f+m)/2) in [FMMin, FMMax] exactly when f+m is in [2·FMMin-1, 2·FMMax], as Rule writes it.
		fmt.Fprintf(&b, " WHEN r_score >= %d AND r_score <= %d AND f_score + m_score >= %d AND f_score + m_score <= %d THEN %s",
			g.RMin, g.RMax, 2*g.FMMin-1, 2*g.FMMax, sql.Literal(g.Segment))
	}
	if elseSegment != "" {
		fmt.Fprintf(&b, " ELSE %s", sql.Literal(elseSegment))
	}
	b.WriteString(" END")
	return b.String(), nil
}

// SegmentsSQL is the segmentation's result over scores (ScoresSQL's statement): entity, segment (text,
// from segmentCase, an expression over r_score, f_score and m_score such as GridCaseSQL's or the rules'
// CASE), and the three scores, for the rows segmentCase gives a segment, as the rfm method's result
// table has them today.
func SegmentsSQL(scores, entity, segmentCase string) string {
	return fmt.Sprintf("SELECT %[1]s, segment, r_score, f_score, m_score FROM (SELECT %[1]s, %[2]s AS segment, r_score, f_score, m_score FROM (%[3]s) segrun_rfm_scores) segrun_rfm_segments WHERE segment IS NOT NULL",
		sql.Ident(entity), segmentCase, scores)
}
