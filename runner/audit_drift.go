package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

type driftParams struct {
	Columns []string `yaml:"columns"`
	PSI     *float64 `yaml:"psi"`
}

const (
	// defaultPSI is the threshold when drift: gives none: above 0.25 is the usual reading of "the
	// population has shifted" (0.1 to 0.25: a moderate shift).
	defaultPSI = 0.25
	// psiEpsilon stands for a share of 0 in the PSI, whose logarithm would be infinite: a bin empty on one
	// side counts as holding 0.01% there. A bin empty on both sides adds nothing.
	psiEpsilon = 1e-4
	// driftCategories is how many of a text column's most frequent values are its bins; the others share
	// the bin "other".
	driftCategories = 50
)

// driftAudit holds the population stability index of input columns to a threshold: each column's values
// in this run, binned on the previous version's bins (the deciles of a number's non-NULL values, ties
// merged; a text's most frequent values, then "other"; NULL a bin of its own), against the previous
// version's shares in them. PSI = sum over bins of (a - e) ln(a / e), a this run's share, e the previous
// version's, a share of 0 counting as psiEpsilon. Each segment's PSI (its members' shares now against its
// members' shares then, on the same bins) is reported and does not fail the audit: a segment's members
// change by design, and a small segment's PSI is noisy. Every version stores its own bins (Report.AuditBins)
// for the next; the first, or one after a version that did not audit the column, is not compared.
var driftAudit = &auditKind{
	name: "drift",
	check: func(c *validator, seg spec.Segmentation, path string, params *yaml.Node, input []sql.Column) {
		p, err := decodeParams[driftParams](params)
		if err != nil || c.s.BrokenWithin(path+"/columns") {
			return
		}
		names := methods.ColumnNames(input)
		for i, col := range p.Columns {
			at := fmt.Sprintf("%s/columns/%d", path, i)
			j := slices.Index(names, col)
			if j < 0 {
				sugg := spec.Nearest(col, names)
				msg := fmt.Sprintf("drift: %s has no column %q", seg.From, col)
				if sugg != "" {
					msg += fmt.Sprintf("; did you mean %q?", sugg)
				} else {
					msg += " (it has " + strings.Join(names, ", ") + ")"
				}
				c.errorAt(at, "segmentation.column", msg, sugg)
				continue
			}
			if driftKind(input[j].Type) == "" {
				c.errorAt(at, "segmentation.type", fmt.Sprintf("drift: column %q of %s is %s; drift bins numbers and text", col, seg.From, input[j].Type), "")
			}
		}
	},
	evaluate: func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error) {
		p, err := decodeParams[driftParams](params)
		if err != nil {
			return methods.AuditResult{}, err
		}
		threshold := defaultPSI
		if p.PSI != nil {
			threshold = *p.PSI
		}
		res := methods.AuditResult{Against: r.prevRun}
		q := driftQuery{input: r.seg.From, result: r.name, entity: r.e.s.Entity}
		for _, col := range p.Columns {
			cur, err := r.driftBins(ctx, q, col)
			if err != nil {
				return res, err
			}
			if r.prevRun == 0 {
				continue
			}
			prev := r.previousBins(col, cur.Kind)
			if prev == nil {
				res.Checks = append(res.Checks, methods.AuditCheck{Column: col, Measure: "psi",
					Note: fmt.Sprintf("not compared: version %d stored no bins for it", r.prevRun)})
				continue
			}
			now, err := driftShares(ctx, r.e.db, q, prev)
			if err != nil {
				return res, err
			}
			v := psi(prev.Shares, now.Shares)
			res.Checks = append(res.Checks, methods.AuditCheck{Column: col, Measure: "psi", Value: &v, Bound: "psi", Threshold: threshold, Failed: v > threshold})
			for _, seg := range sortedKeys(now.Segments) {
				then, ok := prev.Segments[seg]
				check := methods.AuditCheck{Segment: seg, Column: col, Measure: "psi", Threshold: threshold}
				if !ok || then.Rows == 0 {
					check.Note = fmt.Sprintf("new: no members in version %d", r.prevRun)
				} else {
					v := psi(then.Shares, now.Segments[seg].Shares)
					check.Value = &v
					check.Note = "reported, not held to the threshold"
				}
				res.Checks = append(res.Checks, check)
			}
		}
		res.Status = auditStatus(res.Checks)
		if r.prevRun == 0 {
			res.Note = firstVersionNote() + "; this version's bins are stored for the next"
		}
		return res, nil
	},
}

// driftKind is how drift bins a column of type t: "number", "text", or "" when it cannot.
func driftKind(t string) string {
	switch {
	case methods.IsNumeric(t):
		return "number"
	case t == "VARCHAR" || t == "BOOLEAN" || strings.HasPrefix(t, "ENUM"):
		return "text"
	}
	return ""
}

// previousBins are column's bins in the previous version, if it stored them (of the same kind).
func (r *auditRun) previousBins(col, kind string) *methods.DriftBins {
	if r.prev == nil {
		return nil
	}
	for i, b := range r.prev.AuditBins {
		if b.Column == col && b.Kind == kind {
			return &r.prev.AuditBins[i]
		}
	}
	return nil
}

// driftBins computes column's bins in this run, once however many drift audits name it, and keeps them
// in the report for the next version.
func (r *auditRun) driftBins(ctx context.Context, q driftQuery, col string) (*methods.DriftBins, error) {
	if b, ok := r.bins[col]; ok {
		return b, nil
	}
	i := slices.IndexFunc(r.e.v.Columns[r.seg.From], func(c sql.Column) bool { return c.Name == col })
	if i < 0 { // validation refuses it
		return nil, fmt.Errorf("input %s has no column %q", r.seg.From, col)
	}
	b, err := newDriftBins(ctx, r.e.db, q, col, driftKind(r.e.v.Columns[r.seg.From][i].Type))
	if err != nil {
		return nil, err
	}
	r.bins[col] = b
	r.report.AuditBins = append(r.report.AuditBins, *b)
	return b, nil
}

// driftQuery names the tables drift reads: the segmentation's input and result, and the entity column
// joining them.
type driftQuery struct{ input, result, entity string }

// newDriftBins computes a column's bins in the input (kind "number": its deciles, by DuckDB's
// quantile_cont, which interpolates as numpy's default does; "text": its most frequent values) and the
// input's and each segment's shares in them.
func newDriftBins(ctx context.Context, db sql.Workspace, q driftQuery, col, kind string) (*methods.DriftBins, error) {
	b := &methods.DriftBins{Column: col, Kind: kind}
	x := "i." + sql.Ident(col)
	var query string
	if kind == "number" {
		query = fmt.Sprintf(`SELECT unnest(quantile_cont(%[1]s::DOUBLE, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
			FILTER (WHERE NOT isnan(%[1]s::DOUBLE)))::VARCHAR FROM %[2]s i`, x, sql.Ident(q.input))
	} else {
		query = fmt.Sprintf(`SELECT v FROM (SELECT %[1]s::VARCHAR AS v, count(*) AS n FROM %[2]s i WHERE %[1]s IS NOT NULL GROUP BY ALL)
			ORDER BY n DESC, v LIMIT %[3]d`, x, sql.Ident(q.input), driftCategories)
	}
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var v *string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		if kind == "text" {
			b.Categories = append(b.Categories, *v)
			continue
		}
		// Read as text, parsed by Go: the edge is the double DuckDB computed, to the bit.
		f, err := strconv.ParseFloat(*v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			continue // an infinite decile bounds nothing (and JSON cannot hold it)
		}
		if len(b.Edges) == 0 || f > b.Edges[len(b.Edges)-1] {
			b.Edges = append(b.Edges, f)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	shares, err := driftShares(ctx, db, q, b)
	if err != nil {
		return nil, err
	}
	b.Rows, b.Shares, b.Segments = shares.Rows, shares.Shares, shares.Segments
	return b, nil
}

// binnedShares are the input's and each segment's shares in a column's bins.
type binnedShares struct {
	Rows     int64
	Shares   []float64
	Segments map[string]methods.BinShares
}

// driftShares counts the input's rows and each segment's members in b's bins, in one DuckDB statement.
func driftShares(ctx context.Context, db sql.Workspace, q driftQuery, b *methods.DriftBins) (*binnedShares, error) {
	bin, n := binExpr(b)
	query := fmt.Sprintf(`SELECT NULL::VARCHAR AS seg, %[1]s AS bin, count(*) AS n FROM %[2]s i GROUP BY ALL
		UNION ALL
		SELECT r.segment::VARCHAR, %[1]s, count(*) FROM %[2]s i JOIN %[3]s r ON r.%[4]s = i.%[4]s GROUP BY ALL`,
		bin, sql.Ident(q.input), sql.Ident(q.result), sql.Ident(q.entity))
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pop := make([]int64, n)
	segs := map[string][]int64{}
	for rows.Next() {
		var seg *string
		var i int
		var count int64
		if err := rows.Scan(&seg, &i, &count); err != nil {
			return nil, err
		}
		if i < 0 || i >= n {
			return nil, fmt.Errorf("bin %d of %d", i, n)
		}
		if seg == nil {
			pop[i] += count
			continue
		}
		if segs[*seg] == nil {
			segs[*seg] = make([]int64, n)
		}
		segs[*seg][i] += count
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := &binnedShares{Segments: map[string]methods.BinShares{}}
	out.Rows, out.Shares = shareOf(pop)
	for seg, counts := range segs {
		rows, shares := shareOf(counts)
		out.Segments[seg] = methods.BinShares{Rows: rows, Shares: shares}
	}
	return out, nil
}

// binExpr is the SQL of a row's bin index among b's bins, and how many bins there are: for numbers,
// bin k holds the values in (edge k-1, edge k] (the first everything up to the first edge, the last
// everything above the last), then NULL and NaN; for text, one bin per category, then "other", then NULL.
func binExpr(b *methods.DriftBins) (string, int) {
	x := "i." + sql.Ident(b.Column)
	var w strings.Builder
	if b.Kind == "number" {
		x += "::DOUBLE"
		k := len(b.Edges)
		fmt.Fprintf(&w, "(CASE WHEN %[1]s IS NULL OR isnan(%[1]s) THEN %[2]d", x, k+1)
		for i, e := range b.Edges {
			fmt.Fprintf(&w, " WHEN %s <= %s::DOUBLE THEN %d", x, sql.Literal(strconv.FormatFloat(e, 'g', -1, 64)), i)
		}
		fmt.Fprintf(&w, " ELSE %d END)::INTEGER", k)
		return w.String(), k + 2
	}
	x += "::VARCHAR"
	m := len(b.Categories)
	fmt.Fprintf(&w, "(CASE WHEN %s IS NULL THEN %d", x, m+1)
	for i, c := range b.Categories {
		fmt.Fprintf(&w, " WHEN %s = %s THEN %d", x, sql.Literal(c), i)
	}
	fmt.Fprintf(&w, " ELSE %d END)::INTEGER", m)
	return w.String(), m + 2
}

func shareOf(counts []int64) (int64, []float64) {
	var total int64
	for _, c := range counts {
		total += c
	}
	shares := make([]float64, len(counts))
	for i, c := range counts {
		if total > 0 {
			shares[i] = float64(c) / float64(total)
		}
	}
	return total, shares
}

// psi is the population stability index of actual shares against expected ones, over the same bins: sum
// (a - e) ln(a / e), a share of 0 counted as psiEpsilon.
func psi(expected, actual []float64) float64 {
	total := 0.0
	for i := range min(len(expected), len(actual)) {
		e, a := max(expected[i], psiEpsilon), max(actual[i], psiEpsilon)
		total += (a - e) * math.Log(a/e)
	}
	return total
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
