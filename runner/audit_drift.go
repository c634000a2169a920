package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/methods/cluster"
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
	// driftSampleRows bounds the rows a number's deciles are computed from: an input with more has its
	// deciles computed from a seeded sample of about this many rows (driftSampleSeed), since sorting a
	// million values per column was most of the audit's cost. The sample is cluster.SampleShareSQL's: the
	// rows whose entity's place under the seed is below driftSampleRows of the input's size, the same rows
	// whatever the threads, the rows' order or the engine (DuckDB or PostgreSQL), in one scan. Its
	// integer-entity place took 0.12 CPU-seconds for three columns of 1M rows as DuckDB's hash() had
	// (BenchmarkDriftBins; a reservoir sample, REPEATABLE, took 0.25-0.31, and md5 1.06). The edges are
	// then the sample's deciles, each within about 0.1 percentage point (the standard error of a decile's
	// rank in 100,000 draws) of the input's; the PSI is still exact for those edges, since both versions'
	// shares in them are counted over every row. Below the size the sample is the whole input: exact
	// deciles, as scripts/psi_reference.py computes them.
	driftSampleRows = 100_000
	driftSampleSeed = 20240131
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
	name:       "drift",
	readsInput: true,
	check: func(c *validator, _ string, seg spec.Segmentation, path string, params *yaml.Node, input []sql.Column) {
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
		m, err := r.measureDrift(ctx)
		if err != nil {
			return res, err
		}
		for _, col := range p.Columns {
			if r.prevRun == 0 {
				continue
			}
			prev, now := m.previous[col], m.onPrevious[col]
			if prev == nil {
				res.Checks = append(res.Checks, methods.AuditCheck{Column: col, Measure: "psi",
					Note: fmt.Sprintf("not compared: version %d stored no bins for it", r.prevRun)})
				continue
			}
			if now.Rows == 0 || prev.Rows == 0 { // shares of nothing: no distribution to compare
				res.Checks = append(res.Checks, methods.AuditCheck{Column: col, Measure: "psi",
					Note: fmt.Sprintf("not compared: the input has no rows in this version or version %d", r.prevRun)})
				continue
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

// integerType says a column of type t holds integers both engines do BIGINT arithmetic on.
func integerType(t string) bool {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER":
		return true
	}
	return false
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

// driftMeasures are what the drift audits of a segmentation compare, by column: the previous version's
// bins (absent when it stored none) and this run's shares in them.
type driftMeasures struct {
	previous   map[string]*methods.DriftBins
	onPrevious map[string]*binnedShares
}

// measureDrift measures every column the segmentation's drift audits name, once for all of them: this
// run's bins (kept in the report for the next version) and this run's shares in the previous version's
// bins, counted in one DuckDB statement (one scan of the input and one of its join with the result,
// every binning a grouping set of it).
func (r *auditRun) measureDrift(ctx context.Context) (*driftMeasures, error) {
	if r.drift != nil {
		return r.drift, nil
	}
	var cols []string
	for _, a := range r.seg.Audits {
		if a.Kind != "drift" {
			continue
		}
		p, err := decodeParams[driftParams](a.Params)
		if err != nil {
			return nil, err
		}
		for _, c := range p.Columns {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	input := r.e.v.Columns[r.seg.From]
	kinds := make([]string, len(cols))
	for i, col := range cols {
		j := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == col })
		if j < 0 { // validation refuses it
			return nil, fmt.Errorf("input %s has no column %q", r.seg.From, col)
		}
		kinds[i] = driftKind(input[j].Type)
	}
	q := driftQuery{input: r.seg.From, result: r.name, entity: r.e.s.Entity, multi: r.seg.Multi, postgres: r.e.s.IsPostgres(),
		integerEntity: slices.ContainsFunc(input, func(c sql.Column) bool { return c.Name == r.e.s.Entity && integerType(c.Type) })}
	start := time.Now()
	current, err := newDriftBins(ctx, r.e.db, q, cols, kinds)
	if err != nil {
		return nil, err
	}
	r.e.log.Debug("drift bins", "segmentation", r.name, "columns", len(cols), "seconds", time.Since(start).Seconds())
	start, cpu := time.Now(), processCPU()
	m := &driftMeasures{previous: map[string]*methods.DriftBins{}, onPrevious: map[string]*binnedShares{}}
	binnings := slices.Clone(current)
	for i, col := range cols {
		if prev := r.previousBins(col, kinds[i]); prev != nil {
			m.previous[col] = prev
			binnings = append(binnings, prev)
		}
	}
	shares, fromProfile := r.e.profiled.shares(r.name, binnings)
	if !fromProfile {
		if shares, err = driftShares(ctx, r.e.db, q, binnings); err != nil {
			return nil, err
		}
	}
	r.e.log.Debug("drift shares", "segmentation", r.name, "binnings", len(binnings), "from_profile", fromProfile, "seconds", time.Since(start).Seconds(),
		"cpu_seconds", processCPU()-cpu)
	for i, b := range current {
		b.Rows, b.Shares, b.Segments = shares[i].Rows, shares[i].Shares, shares[i].Segments
		r.report.AuditBins = append(r.report.AuditBins, *b)
	}
	for i, b := range binnings[len(current):] {
		m.onPrevious[b.Column] = shares[len(current)+i]
	}
	r.drift = m
	return m, nil
}

// driftQuery names the tables drift reads: the segmentation's input and result, and the entity column
// joining them.
type driftQuery struct {
	input, result, entity string
	// multi: an entity may be in several segments (a row each in the result).
	multi bool
	// integerEntity: the entity is an integer, which the decile sample places by integer arithmetic.
	integerEntity bool
	// postgres: the tables are engine postgres's, whose statements count the bins in the server
	// (audit_drift_postgres.go).
	postgres bool
}

// newDriftBins computes the bins of columns (of kinds "number" or "text") in the input: a number's
// deciles, by DuckDB's quantile_cont, which interpolates as numpy's default does, all numbers in one
// statement over at most driftSampleRows rows; a text's most frequent values. Their shares are
// driftShares'.
func newDriftBins(ctx context.Context, db sql.Workspace, q driftQuery, cols, kinds []string) ([]*methods.DriftBins, error) {
	out := make([]*methods.DriftBins, len(cols))
	var deciles []string
	var numbers []int
	for i, col := range cols {
		out[i] = &methods.DriftBins{Column: col, Kind: kinds[i]}
		x := "i." + sql.Ident(col)
		if kinds[i] == "number" {
			// As text, parsed by Go: DuckDB writes the shortest text that reads back as the same double.
			deciles = append(deciles, fmt.Sprintf(`quantile_cont(%[1]s::DOUBLE, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
				FILTER (WHERE NOT isnan(%[1]s::DOUBLE))::VARCHAR`, x))
			numbers = append(numbers, i)
			continue
		}
		rows, err := db.Query(ctx, categoriesSQL(x, sql.Ident(q.input), q.postgres))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			out[i].Categories = append(out[i].Categories, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if len(numbers) == 0 {
		return out, nil
	}
	var n int64
	if err := db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(q.input)).Scan(&n); err != nil {
		return nil, err
	}
	from := sql.Ident(q.input) + " i"
	if n > driftSampleRows {
		from = "(" + cluster.SampleShareSQL(q.input, q.entity, driftSampleSeed, driftSampleRows, n, q.integerEntity) + ") i"
	}
	// Each number's deciles (nil: no value but NULL, and one bin holds them all).
	lists := make([][]float64, len(numbers))
	if q.postgres {
		xs := make([]string, len(numbers))
		for k, i := range numbers {
			xs[k] = "i." + sql.Ident(cols[i])
		}
		var err error
		if lists, err = pgDeciles(ctx, db, from, xs); err != nil {
			return nil, err
		}
	} else {
		texts := make([]*string, len(numbers))
		ptrs := make([]any, len(numbers))
		for i := range texts {
			ptrs[i] = &texts[i]
		}
		if err := db.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(deciles, ", "), from)).Scan(ptrs...); err != nil {
			return nil, err
		}
		for k, i := range numbers {
			if texts[k] == nil {
				continue
			}
			for _, text := range strings.Split(strings.Trim(*texts[k], "[]"), ",") {
				f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
				if err != nil {
					return nil, fmt.Errorf("column %s: decile %q: %w", cols[i], text, err)
				}
				lists[k] = append(lists[k], f)
			}
		}
	}
	for k, i := range numbers {
		for _, f := range lists[k] {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				continue // an infinite decile bounds nothing (and JSON cannot hold it)
			}
			if e := out[i].Edges; len(e) == 0 || f > e[len(e)-1] {
				out[i].Edges = append(out[i].Edges, f)
			}
		}
	}
	return out, nil
}

// binnedShares are the input's and each segment's shares in a column's bins.
type binnedShares struct {
	Rows     int64
	Shares   []float64
	Segments map[string]methods.BinShares
}

// driftShares counts the input's rows and each segment's members in each binning's bins, in one read: DuckDB
// joins the input's rows to their segments (a segment's ENUM code, no text per row) and hands Go each
// numeric column once, as DOUBLE, and each text binning's bin (binExpr); Go bins the numbers by binary
// search on the edges and counts every binning in the same pass. Binning in SQL (a CASE per binning)
// and counting by grouping sets took 0.58-0.70 CPU-seconds for a second version's six binnings of 1M
// rows, most of it evaluating the CASEs; packing the bins into one key to count them in one GROUP BY
// saved less than a tenth of it (BenchmarkDriftShares, docs/development.md "Measuring").
func driftShares(ctx context.Context, db sql.Workspace, q driftQuery, binnings []*methods.DriftBins) ([]*binnedShares, error) {
	k := len(binnings)
	if k == 0 {
		return nil, nil
	}
	if q.postgres {
		return driftSharesInEngine(ctx, db, q, binnings)
	}
	// The segments' names by ENUM code. An empty result's segment column is no ENUM (a method writes no
	// names for no rows), and it has no segments to count.
	var names []string
	var resultRows int64
	if err := db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(q.result)).Scan(&resultRows); err != nil {
		return nil, err
	}
	if resultRows > 0 {
		rows, err := db.Query(ctx, fmt.Sprintf("SELECT DISTINCT enum_code(segment)::INTEGER, segment::VARCHAR FROM %s WHERE segment IS NOT NULL", sql.Ident(q.result)))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var code int32
			var name string
			if err := rows.Scan(&code, &name); err != nil {
				rows.Close()
				return nil, err
			}
			for int(code) >= len(names) {
				names = append(names, "")
			}
			names[code] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	// The columns read: each numeric column once (several binnings may bin it), each text binning's bin.
	var cols []string
	colOf := make([]int, k)
	sizes := make([]int, k)
	numberCol := map[string]int{}
	for j, b := range binnings {
		expr, n := binExpr(b)
		sizes[j] = n
		if b.Kind == "number" {
			c, ok := numberCol[b.Column]
			if !ok {
				c = len(cols)
				numberCol[b.Column] = c
				cols = append(cols, fmt.Sprintf("i.%s::DOUBLE AS c%d", sql.Ident(b.Column), c))
			}
			colOf[j] = c
			continue
		}
		colOf[j] = len(cols)
		cols = append(cols, fmt.Sprintf("%s AS c%d", expr, len(cols)))
	}
	list := strings.Join(cols, ", ")
	ent := sql.Ident(q.entity)
	// g: 1 + the row's segment's code, 0 for none. Every input row is a population row, and a segment's
	// too when it has one; a multi segmentation's entity has a row per segment, so the input is read
	// apart (g 0: the population's row alone).
	seg := "coalesce(enum_code(r.seg)::INTEGER + 1, 0)::INTEGER"
	if resultRows == 0 {
		seg = "0::INTEGER"
	}
	query := fmt.Sprintf("SELECT %s AS g, %s FROM %s i LEFT JOIN (SELECT %s, segment AS seg FROM %s) r USING (%[4]s)",
		seg, list, sql.Ident(q.input), ent, sql.Ident(q.result))
	everyRowPopulation := !q.multi
	if q.multi {
		query = fmt.Sprintf("SELECT 0::INTEGER AS g, %s FROM %s i", list, sql.Ident(q.input))
		if resultRows > 0 {
			query += fmt.Sprintf(" UNION ALL SELECT (enum_code(r.segment)::INTEGER + 1)::INTEGER AS g, %s FROM %s i JOIN %s r USING (%s)",
				list, sql.Ident(q.input), sql.Ident(q.result), ent)
		}
	}
	groups := len(names) + 1 // group 0: no segment
	// counts[j][g*sizes[j]+bin]: binning j's count of group g's rows in bin; pop[j][bin] the population's.
	counts := make([][]int64, k)
	pop := make([][]int64, k)
	for j := range k {
		pop[j], counts[j] = make([]int64, sizes[j]), make([]int64, groups*sizes[j])
	}
	err := db.WithArrow(ctx, func(a *sql.Arrow) error {
		r, err := a.Query(query)
		if err != nil {
			return err
		}
		defer r.Release()
		for r.Next() {
			rec := r.RecordBatch()
			gcol, ok := rec.Column(0).(*array.Int32)
			if !ok {
				return fmt.Errorf("group column is %s", rec.Column(0).DataType())
			}
			g := gcol.Int32Values()
			for _, code := range g {
				if code < 0 || int(code) >= groups || (code > 0 && names[code-1] == "") {
					return fmt.Errorf("a row of segment code %d, which the result does not name", code-1)
				}
			}
			for j, b := range binnings {
				col := rec.Column(1 + colOf[j])
				if b.Kind == "number" {
					x, ok := col.(*array.Float64)
					if !ok {
						return fmt.Errorf("column %s is %s", b.Column, col.DataType())
					}
					countNumbers(counts[j], pop[j], g, x, b.Edges, everyRowPopulation)
					continue
				}
				x, ok := col.(*array.Int32)
				if !ok {
					return fmt.Errorf("bins of %s are %s", b.Column, col.DataType())
				}
				size := sizes[j]
				for i, bin := range x.Int32Values() {
					if bin < 0 || int(bin) >= size {
						return fmt.Errorf("binning %d: bin %d of %d", j, bin, size)
					}
					counts[j][int(g[i])*size+int(bin)]++
					if everyRowPopulation || g[i] == 0 {
						pop[j][bin]++
					}
				}
			}
		}
		return r.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]*binnedShares, k)
	for j := range k {
		out[j] = &binnedShares{Segments: map[string]methods.BinShares{}}
		out[j].Rows, out[j].Shares = shareOf(pop[j])
		for g := 1; g < groups; g++ {
			if names[g-1] == "" {
				continue
			}
			mine := counts[j][g*sizes[j] : (g+1)*sizes[j]]
			var n int64
			for _, c := range mine {
				n += c
			}
			if n == 0 { // a segment of the ENUM no row is in: not a segment of this version
				continue
			}
			rows, shares := shareOf(mine)
			out[j].Segments[names[g-1]] = methods.BinShares{Rows: rows, Shares: shares}
		}
	}
	return out, nil
}

// countNumbers counts each value of x in its bin among edges (sorted, distinct), as binExpr numbers them:
// bin i holds the values in (edge i-1, edge i], the first everything up to the first edge, len(edges)
// everything above the last, and len(edges)+1 NULL and NaN. counts is by group (g, the row's) and bin,
// pop by bin: every row's when everyRowPopulation, else group 0's. A value's bin is how many edges are
// below it, counted without branches (at most 9 edges: faster than a binary search's mispredictions).
func countNumbers(counts, pop []int64, g []int32, x *array.Float64, edges []float64, everyRowPopulation bool) {
	size := len(edges) + 2
	nullBin, nullable := len(edges)+1, x.NullN() > 0
	for i, v := range x.Float64Values() {
		bin := nullBin
		if v == v && (!nullable || x.IsValid(i)) {
			bin = 0
			for _, e := range edges {
				if e < v {
					bin++
				}
			}
		}
		counts[int(g[i])*size+bin]++
		if everyRowPopulation || g[i] == 0 {
			pop[bin]++
		}
	}
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
