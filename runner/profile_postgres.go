package runner

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// Segment profiles on engine postgres are computed inside the server: every statement below returns a
// few rows per segment and column, never the members' values. They equal DuckDB's profiles
// (profileNumbers, which summarises the values in Go):
//   - sizes and shares are counts;
//   - a mean is the exact sum of the values (as doubles) over their count, rounded once, as
//     algorithms.Summarize's exact sum gives it: the server sums each value's 53-bit integer mantissa by
//     exponent (bigint into numeric, exact), and Go adds those few sums exactly (ExactSumOfParts);
//   - P10, median and P90 are numpy's linear quantiles: the server ranks each group's values (a window
//     over the sorted values) and returns the two order statistics each quantile lies between, which Go
//     interpolates with the same arithmetic as Summarize (algorithms.Quantile);
//   - the SD is stddev_samp: the one statistic not exact on either engine (DuckDB's is a pairwise sum
//     whose last bits depend on the order its threads deliver the values), equal to about 1e-12 relative;
//   - text columns' top values are counted and ranked by SQL as on DuckDB, ties by the values' bytes.

// profileNumbersInEngine fills p's segments (in the order of their names' bytes, as DuckDB's ENUM codes
// order them), sizes, shares and numeric summaries from statements that run in the server.
func (e *execution) profileNumbersInEngine(ctx context.Context, p *methods.Profiles, result, input, rows string) error {
	q := fmt.Sprintf("SELECT CAST(segment AS VARCHAR), count(*) FROM %s GROUP BY segment", sql.Ident(result))
	vals, err := e.smallQuery(ctx, q)
	if err != nil {
		return err
	}
	for _, r := range vals {
		name, ok := r[0].(string)
		if !ok { // methods leave unassigned entities out of their result: this is a method's bug
			return fmt.Errorf("%d rows of the result have no segment", toInt64(r[1]))
		}
		p.Segments = append(p.Segments, methods.SegmentProfile{Segment: name, Size: toInt64(r[1])})
	}
	slices.SortFunc(p.Segments, func(a, b methods.SegmentProfile) int { return strings.Compare(a.Segment, b.Segment) })
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(input)).Scan(&p.Population.Size); err != nil {
		return err
	}
	p.Population.Share = 1
	for i := range p.Segments {
		p.Segments[i].Share = ratio(float64(p.Segments[i].Size), float64(p.Population.Size))
	}
	if len(p.Numbers) == 0 {
		return nil
	}
	// One row per (group, column, value): the profiled columns side by side become rows (LATERAL
	// VALUES), without NULL and NaN, which Summarize never sees either.
	pairs := make([]string, len(p.Numbers))
	for c := range p.Numbers {
		pairs[c] = fmt.Sprintf("(%d, c%d)", c, c)
	}
	values := fmt.Sprintf(`SELECT pop, seg, col, x FROM (%s) segrun_rows, LATERAL (VALUES %s) segrun_cols(col, x)
		WHERE x IS NOT NULL AND x <> CAST('NaN' AS DOUBLE PRECISION)`, rows, strings.Join(pairs, ", "))
	// Exact sums: by group, column and exponent the exact sum of the finite values' signed mantissas
	// (their bits, from float8send); a group of exponent 2047 says the column has infinities. The count and
	// SD come with the sorted values below: one GROUP BY each, hashed here, where GROUPING SETS of both
	// groupings had sorted every value (an external merge at the default work_mem). The OFFSET 0 fences
	// keep the planner from inlining bits (a text round trip) into each of the five places e and m use
	// it: computed once per value (BENCHMARKS.md "Engine postgres tuned").
	sums := fmt.Sprintf(`SELECT pop, seg, col, e, CAST(sum(m) AS VARCHAR)
		FROM (SELECT pop, seg, col, greatest((bits >> 52) & 2047, 1) AS e,
			(CASE WHEN bits < 0 THEN -1 ELSE 1 END) * (CASE WHEN (bits >> 52) & 2047 = 0 THEN bits & 4503599627370495 ELSE (bits & 4503599627370495) | 4503599627370496 END) AS m
			FROM (SELECT pop, seg, col, CAST(CAST(('x' || encode(float8send(x), 'hex')) AS bit(64)) AS bigint) AS bits FROM (%s) segrun_values OFFSET 0) segrun_bits OFFSET 0) segrun_parts
		GROUP BY pop, seg, col, e`, values)
	type key struct {
		pop bool
		seg string
		col int
	}
	type acc struct {
		n        int64
		sd       *float64
		infinite bool
		parts    []algorithms.SumPart
		ranks    map[int64]float64
	}
	groups := map[key]*acc{}
	at := func(k key) *acc {
		if groups[k] == nil {
			groups[k] = &acc{ranks: map[int64]float64{}}
		}
		return groups[k]
	}
	keyOf := func(r []any) key {
		k := key{col: int(toInt64(r[2]))}
		k.pop, _ = r[0].(bool)
		k.seg, _ = r[1].(string)
		return k
	}
	start := time.Now()
	vals, err = e.smallQuery(ctx, sums)
	e.log.Debug("profile sums in the engine", "segmentation", result, "seconds", time.Since(start).Seconds())
	if err != nil {
		return err
	}
	for _, r := range vals {
		a := at(keyOf(r))
		exp := int(toInt64(r[3]))
		if exp == 2047 { // infinities: no mean
			a.infinite = true
			continue
		}
		text, ok := r[4].(string)
		if !ok {
			return fmt.Errorf("the engine's sum of mantissas is %T", r[4])
		}
		m, ok := new(big.Int).SetString(strings.TrimSuffix(text, ".0"), 10)
		if !ok {
			return fmt.Errorf("the engine's sum of mantissas %q is no integer", text)
		}
		a.parts = append(a.parts, algorithms.SumPart{Exp: exp, Mantissas: m})
	}
	// Quantiles: each group and column's values sorted into an array inside the server (an ordered
	// aggregate), of which only the order statistics the quantiles interpolate between leave it, as
	// algorithms.QuantileOfRanks names them (the same float arithmetic). A window ranking every value
	// cost five times as much (13.5 s against 2.7 s for 1.2M values on a loaded machine).
	var picks []string
	for _, q := range profileQuantiles {
		at := fmt.Sprintf("CAST(floor(CAST(n - 1 AS DOUBLE PRECISION) * CAST(%s AS DOUBLE PRECISION)) AS BIGINT)", sql.Literal(fmt.Sprint(q)))
		picks = append(picks, at, fmt.Sprintf("sorted[%s + 1]", at), fmt.Sprintf("sorted[least(%s + 2, n)]", at))
	}
	ranked := fmt.Sprintf(`SELECT pop, seg, col, n, sd, %s FROM (SELECT pop, seg, col, count(*) AS n, stddev_samp(x) AS sd, array_agg(x ORDER BY x) AS sorted
		FROM (%s) segrun_values GROUP BY pop, seg, col) segrun_sorted`, strings.Join(picks, ", "), values)
	start = time.Now()
	vals, err = e.smallQuery(ctx, ranked)
	e.log.Debug("profile quantiles in the engine", "segmentation", result, "seconds", time.Since(start).Seconds())
	if err != nil {
		return err
	}
	for _, r := range vals {
		a := at(keyOf(r))
		a.n = toInt64(r[3])
		if sd, ok := r[4].(float64); ok {
			a.sd = &sd
		}
		for i := range profileQuantiles {
			rank := toInt64(r[5+3*i])
			for k, v := range r[6+3*i : 8+3*i] {
				x, ok := v.(float64)
				if !ok {
					return fmt.Errorf("order statistic %d of a profile's values is %T", rank+int64(k), v)
				}
				a.ranks[rank+int64(k)] = x
			}
		}
	}
	summarise := func(sp *methods.SegmentProfile, pop bool, seg string) {
		sp.Numbers = map[string]methods.NumberProfile{}
		for c, col := range p.Numbers {
			a := groups[key{pop: pop, seg: seg, col: c}]
			if a == nil || a.n == 0 {
				sp.Numbers[col] = methods.NumberProfile{}
				continue
			}
			var np methods.NumberProfile
			if !a.infinite {
				np.Mean = finite(ptr(algorithms.ExactSumOfParts(a.parts) / float64(a.n)))
			}
			if a.n > 1 {
				np.SD = finite(a.sd)
			}
			q := make([]*float64, len(profileQuantiles))
			for i, quantile := range profileQuantiles {
				v, err := algorithms.QuantileOfRanks(a.n, quantile, a.ranks)
				if err == nil {
					q[i] = finite(&v)
				}
			}
			np.P10, np.Median, np.P90 = q[0], q[1], q[2]
			sp.Numbers[col] = np
		}
	}
	summarise(&p.Population, true, "")
	for i := range p.Segments {
		s := &p.Segments[i]
		summarise(s, false, s.Segment)
		for col, n := range s.Numbers {
			if pm := p.Population.Numbers[col].Mean; n.Mean != nil && pm != nil {
				n.Lift = finite(ptr(*n.Mean / *pm))
				s.Numbers[col] = n
			}
		}
	}
	return nil
}

// profileQuantiles are the quantiles a profile reports, in NumberProfile's order P10, Median, P90.
var profileQuantiles = []float64{0.1, 0.5, 0.9}

// profileTextsSQL is the statement listing each group's most frequent values of the text columns
// (texts of them) in rows (profileRows), with each value's count in the population:
// pop, seg, col, value, n, the population's n, ordered by group, column, then count and value. Ties
// are broken by the value's bytes on both engines (DuckDB compares bytes; PostgreSQL does in COLLATE
// "C", whatever the database's collation).
func (e *execution) profileTextsSQL(rows string, texts int) string {
	long := make([]string, texts)
	for i := range texts {
		long[i] = fmt.Sprintf("SELECT pop, seg, %[1]d AS col, t%[1]d AS v FROM r", i)
	}
	if !e.s.IsPostgres() {
		return fmt.Sprintf(`WITH r AS (%s),
		counts AS (SELECT pop, seg, col, v, count(*) AS n FROM (%s) WHERE v IS NOT NULL GROUP BY ALL)
		SELECT c.pop, c.seg::VARCHAR, c.col, c.v, c.n, p.n FROM counts c JOIN counts p ON p.pop AND p.col = c.col AND p.v = c.v
		QUALIFY row_number() OVER (PARTITION BY c.pop, c.seg, c.col ORDER BY c.n DESC, c.v) <= %d
		ORDER BY c.pop DESC, c.seg, c.col, c.n DESC, c.v`, rows, strings.Join(long, " UNION ALL "), profileTopValues)
	}
	return fmt.Sprintf(`WITH r AS (%s),
		counts AS (SELECT pop, seg, col, v, count(*) AS n FROM (%s) segrun_long WHERE v IS NOT NULL GROUP BY pop, seg, col, v),
		ranked AS (SELECT c.pop, c.seg, c.col, c.v, c.n, p.n AS pop_n,
			row_number() OVER (PARTITION BY c.pop, c.seg, c.col ORDER BY c.n DESC, c.v COLLATE "C") AS rn
			FROM counts c JOIN counts p ON p.pop AND p.col = c.col AND p.v = c.v)
		SELECT pop, seg, col, v, n, pop_n FROM ranked WHERE rn <= %d
		ORDER BY pop DESC, seg COLLATE "C", col, n DESC, v COLLATE "C"`, rows, strings.Join(long, " UNION ALL "), profileTopValues)
}
