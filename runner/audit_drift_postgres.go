package runner

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// The drift audit's statements where the two engines' dialects differ, and its counting on engine
// postgres, where the bins are counted in the server (a few rows per segment and bin come back; on DuckDB
// the values are binned in Go, driftShares). The bins are the same on both engines: deciles by linear
// interpolation (DuckDB's quantile_cont and PostgreSQL's percentile_cont compute lo + (hi - lo)·d at
// rank (n-1)·q alike) over the same seeded sample (cluster.SampleShareSQL), categories by count, ties
// by the value's bytes.

// driftDeciles are the quantiles a number's drift bins are cut at, as DuckDB's quantile_cont reads them.
var driftDeciles = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}

// pgDeciles are the deciles of each of xs (expressions over the rows of from, aliased i) on engine
// postgres, as DuckDB's quantile_cont computes them (NaN and NULL left out; nil when no value is left):
// the server ranks each column's values and returns the order statistics each decile lies between, and
// Go interpolates them with DuckDB's arithmetic (duckdbInterpolate), so both engines cut the same bins
// to the bit. PostgreSQL's percentile_cont interpolates as lo + d·(hi - lo), which differs from DuckDB's
// in the last bit for about one decile in six.
func pgDeciles(ctx context.Context, db sql.Workspace, from string, xs []string) ([][]float64, error) {
	pairs := make([]string, len(xs))
	for k, x := range xs {
		pairs[k] = fmt.Sprintf("(%d, CAST(%s AS DOUBLE PRECISION))", k, x)
	}
	var wanted []string
	for _, q := range driftDeciles {
		h := fmt.Sprintf("floor(CAST(n - 1 AS DOUBLE PRECISION) * CAST(%s AS DOUBLE PRECISION))", sql.Literal(strconv.FormatFloat(q, 'g', -1, 64)))
		wanted = append(wanted, h, h+" + 1")
	}
	// The input's own columns may have any name: the pairs' are segrun's, and qualified.
	query := fmt.Sprintf(`SELECT col, rk, x, n FROM (SELECT v.segrun_col AS col, v.segrun_x AS x,
		row_number() OVER (PARTITION BY v.segrun_col ORDER BY v.segrun_x) - 1 AS rk, count(*) OVER (PARTITION BY v.segrun_col) AS n
		FROM %s, LATERAL (VALUES %s) v(segrun_col, segrun_x)
		WHERE v.segrun_x IS NOT NULL AND v.segrun_x <> CAST('NaN' AS DOUBLE PRECISION)) segrun_ranked WHERE rk IN (%s)`, from, strings.Join(pairs, ", "), strings.Join(wanted, ", "))
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ranks := make([]map[int64]float64, len(xs))
	counts := make([]int64, len(xs))
	for rows.Next() {
		var col int
		var rk, n int64
		var x float64
		if err := rows.Scan(&col, &rk, &x, &n); err != nil {
			return nil, err
		}
		if col < 0 || col >= len(xs) {
			return nil, fmt.Errorf("deciles of column %d of %d", col, len(xs))
		}
		if ranks[col] == nil {
			ranks[col] = map[int64]float64{}
		}
		ranks[col][rk], counts[col] = x, n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([][]float64, len(xs))
	for k := range xs {
		n := counts[k]
		if n == 0 {
			continue
		}
		for _, q := range driftDeciles {
			h := float64(n-1) * q
			lo, hi := math.Floor(h), math.Ceil(h)
			a, ok := ranks[k][int64(lo)]
			b, ok2 := ranks[k][int64(hi)]
			if !ok || !ok2 {
				return nil, fmt.Errorf("decile %v of %d values: order statistics %v and %v missing", q, n, lo, hi)
			}
			out[k] = append(out[k], duckdbInterpolate(a, h-lo, b, lo == hi))
		}
	}
	return out, nil
}

// duckdbInterpolate is DuckDB's quantile_cont between two order statistics lo and hi at fraction d:
// lo itself when the rank is whole, else lo·(1-d) + hi·d (the arithmetic of the DuckDB segrun links,
// which TestDuckDBInterpolation holds it to).
func duckdbInterpolate(lo, d, hi float64, whole bool) float64 {
	if whole {
		return lo
	}
	return lo*(1-d) + hi*d
}

// categoriesSQL lists column x's driftCategories most frequent values of table input (aliased i), most
// frequent first, ties by their bytes (PostgreSQL in COLLATE "C", whatever the database's collation).
func categoriesSQL(x, input string, postgres bool) string {
	if postgres {
		return fmt.Sprintf(`SELECT v FROM (SELECT CAST(%[1]s AS VARCHAR) AS v, count(*) AS n FROM %[2]s i
			WHERE %[1]s IS NOT NULL GROUP BY 1) segrun_counts ORDER BY n DESC, v COLLATE "C" LIMIT %[3]d`, x, input, driftCategories)
	}
	return fmt.Sprintf(`SELECT v FROM (SELECT %[1]s::VARCHAR AS v, count(*) AS n FROM %[2]s i
			WHERE %[1]s IS NOT NULL GROUP BY ALL) ORDER BY n DESC, v LIMIT %[3]d`, x, input, driftCategories)
}

// pgBinExpr is binExpr in PostgreSQL's dialect: the bin index among b's bins of x, the column already
// cast (a DOUBLE PRECISION for numbers, text for text: casting a numeric to a double once per row, not
// once per edge, made the count five times faster).
func pgBinExpr(b *methods.DriftBins, x string) string {
	var w strings.Builder
	if b.Kind == "number" {
		k := len(b.Edges)
		fmt.Fprintf(&w, "(CASE WHEN %[1]s IS NULL OR %[1]s = CAST('NaN' AS DOUBLE PRECISION) THEN %[2]d", x, k+1)
		for i, e := range b.Edges {
			fmt.Fprintf(&w, " WHEN %s <= CAST(%s AS DOUBLE PRECISION) THEN %d", x, sql.Literal(strconv.FormatFloat(e, 'g', -1, 64)), i)
		}
		fmt.Fprintf(&w, " ELSE %d END)", k)
		return w.String()
	}
	m := len(b.Categories)
	fmt.Fprintf(&w, "(CASE WHEN %s IS NULL THEN %d", x, m+1)
	for i, c := range b.Categories {
		fmt.Fprintf(&w, " WHEN %s = %s THEN %d", x, sql.Literal(c), i)
	}
	fmt.Fprintf(&w, " ELSE %d END)", m)
	return w.String()
}

// driftSharesInEngine is driftShares on engine postgres: one statement labels each input row with its
// segment (and, for a multi segmentation, each of its segments' copies), turns every binning into a row
// of (binning, bin) by LATERAL VALUES and counts them by group in the server.
func driftSharesInEngine(ctx context.Context, db sql.Workspace, q driftQuery, binnings []*methods.DriftBins) ([]*binnedShares, error) {
	ent, in, res := sql.Ident(q.entity), sql.Ident(q.input), sql.Ident(q.result)
	// Each column binned, cast once (segrun_c0, ...), whatever number of binnings reads it.
	var cols []string
	colOf := map[string]string{}
	pairs := make([]string, len(binnings))
	sizes := make([]int, len(binnings))
	for j, b := range binnings {
		key := b.Kind + "\x00" + b.Column
		name, ok := colOf[key]
		if !ok {
			name = fmt.Sprintf("segrun_c%d", len(cols))
			colOf[key] = name
			typ := "VARCHAR"
			if b.Kind == "number" {
				typ = "DOUBLE PRECISION"
			}
			cols = append(cols, fmt.Sprintf("CAST(i.%s AS %s) AS %s", sql.Ident(b.Column), typ, name))
		}
		pairs[j] = fmt.Sprintf("(%d, %s)", j, pgBinExpr(b, "i."+name))
		if b.Kind == "number" {
			sizes[j] = len(b.Edges) + 2
		} else {
			sizes[j] = len(b.Categories) + 2
		}
	}
	list := strings.Join(cols, ", ")
	// segrun_pop: a row of the population; segrun_seg: the segment it counts for (NULL: none).
	labelled := fmt.Sprintf(`SELECT true AS segrun_pop, CAST(r.segment AS VARCHAR) AS segrun_seg, %[4]s FROM %[1]s i LEFT JOIN %[2]s r ON r.%[3]s = i.%[3]s`, in, res, ent, list)
	if q.multi {
		labelled = fmt.Sprintf(`SELECT true AS segrun_pop, CAST(NULL AS VARCHAR) AS segrun_seg, %[4]s FROM %[1]s i
			UNION ALL SELECT false, CAST(r.segment AS VARCHAR), %[4]s FROM %[1]s i JOIN %[2]s r ON r.%[3]s = i.%[3]s`, in, res, ent, list)
	}
	query := fmt.Sprintf(`SELECT i.segrun_pop, i.segrun_seg, b.segrun_j, b.segrun_bin, count(*) FROM (%s) i, LATERAL (VALUES %s) b(segrun_j, segrun_bin)
		GROUP BY i.segrun_pop, i.segrun_seg, b.segrun_j, b.segrun_bin`, labelled, strings.Join(pairs, ", "))
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pop := make([][]int64, len(binnings))
	segs := make([]map[string][]int64, len(binnings))
	for j := range binnings {
		pop[j], segs[j] = make([]int64, sizes[j]), map[string][]int64{}
	}
	for rows.Next() {
		var isPop bool
		var seg *string
		var j, bin int
		var n int64
		if err := rows.Scan(&isPop, &seg, &j, &bin, &n); err != nil {
			return nil, err
		}
		if j < 0 || j >= len(binnings) || bin < 0 || bin >= sizes[j] {
			return nil, fmt.Errorf("binning %d: bin %d", j, bin)
		}
		if isPop {
			pop[j][bin] += n
		}
		if seg != nil {
			if segs[j][*seg] == nil {
				segs[j][*seg] = make([]int64, sizes[j])
			}
			segs[j][*seg][bin] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*binnedShares, len(binnings))
	for j := range binnings {
		out[j] = &binnedShares{Segments: map[string]methods.BinShares{}}
		out[j].Rows, out[j].Shares = shareOf(pop[j])
		for seg, counts := range segs[j] {
			rows, shares := shareOf(counts)
			out[j].Segments[seg] = methods.BinShares{Rows: rows, Shares: shares}
		}
	}
	return out, nil
}
