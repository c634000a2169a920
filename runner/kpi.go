package runner

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// runKPI computes a KPI for every segment of each of its segmentations and for their population, as
// DuckDB aggregates over the workspace's tables. A KPI is computed over the rows of its table that belong
// to the members (an inner join): a member without rows there does not count, and members says how many
// had rows; a segment none of whose members has rows gets no value (NULL). The population is every entity
// the segmentation assigned (a multi-label segmentation's entities once each).
//
// KPIs reading the same table for the same segmentation share one statement: the join of the table to
// the members is the cost, whatever the number of aggregates over it. The first KPI node to run computes
// every KPI of its pair (their inputs are the same two tables, both in the workspace by then); the others
// find their values done. It returns the number of the KPI's own values.
func (e *execution) runKPI(ctx context.Context, name string) (int64, error) {
	k, _ := e.s.KPIs.Get(name)
	for _, seg := range kpiSegmentations(e.s, k) {
		pair := k.From + "\x00" + seg
		if e.kpiPairs[pair] {
			continue
		}
		e.kpiPairs[pair] = true
		var batch []string // the KPIs over (from, seg), in spec order
		for _, other := range e.s.KPIs {
			if other.Value.From == k.From && slices.Contains(kpiSegmentations(e.s, other.Value), seg) {
				batch = append(batch, other.Key)
			}
		}
		values, err := e.computeKPIs(ctx, k.From, seg, batch)
		if err != nil {
			return 0, err
		}
		e.kpis = append(e.kpis, values...)
	}
	var n int64
	for _, v := range e.kpis {
		if v.KPI == name {
			n++
		}
	}
	return n, nil
}

// computeKPIs computes the KPIs named over table from for segmentation seg: one statement grouping the
// joined rows by segment and, for a single-label segmentation, the population in the same pass (GROUPING
// SETS); a multi-label one counts its population's rows once each in a second statement.
func (e *execution) computeKPIs(ctx context.Context, from, seg string, names []string) ([]store.KPIValue, error) {
	ent := sql.Ident(e.s.Entity)
	step := "kpi " + names[0]
	var kpis []spec.KPI
	aggs := make([]string, len(names))
	for i, name := range names {
		k, _ := e.s.KPIs.Get(name)
		kpis = append(kpis, k)
		aggs[i] = fmt.Sprintf("CAST((%s) AS DOUBLE PRECISION)", k.Value) // both engines' name of a double
	}
	multi := false
	var segments []string
	for _, v := range e.segVersions {
		if v.Segmentation == seg {
			multi, segments = v.Multi, v.Segments
		}
	}
	// Members with rows: count(DISTINCT) over grouping sets cost more than the join itself (1.3 of 2.3 s
	// at 1M customers), and a table with one row per entity (an outcomes feature, a segmentation) needs
	// only count(*).
	unique, err := e.uniqueEntities(ctx, step, from)
	if err != nil {
		return nil, err
	}
	members := "count(DISTINCT segrun_kpi_entity)"
	if unique {
		members = "count(*)"
	}
	joined := fmt.Sprintf(`(SELECT f.*, m.segment::VARCHAR AS segrun_kpi_segment, f.%[1]s AS segrun_kpi_entity
		FROM %[2]s m JOIN %[3]s f ON f.%[1]s = m.%[1]s) segrun_kpi_rows`, ent, sql.Ident(seg), sql.Ident(from))
	grouping := "GROUP BY GROUPING SETS ((segrun_kpi_segment), ())"
	if multi {
		grouping = "GROUP BY segrun_kpi_segment"
	}
	queriesOf := func(aggs []string) []string {
		queries := []string{fmt.Sprintf("SELECT segrun_kpi_segment, %s, %s FROM %s %s", strings.Join(aggs, ", "), members, joined, grouping)}
		if multi {
			queries = append(queries, fmt.Sprintf(`SELECT NULL::VARCHAR, %[1]s, %[5]s
			FROM (SELECT f.*, f.%[2]s AS segrun_kpi_entity FROM %[3]s f WHERE f.%[2]s IN (SELECT %[2]s FROM %[4]s)) segrun_kpi_rows`,
				strings.Join(aggs, ", "), ent, sql.Ident(from), sql.Ident(seg), members))
		}
		return queries
	}
	rowsBySegment := map[string][]any{}
	for qi, q := range queriesOf(aggs) {
		start := time.Now()
		vals, err := e.smallQuery(ctx, q)
		if err != nil {
			// The statement computes every KPI over from: the failure is named after the one that fails
			// alone, not the first.
			culprit := names[0]
			for i := range names {
				if len(names) > 1 {
					if _, alone := e.smallQuery(ctx, queriesOf(aggs[i : i+1])[qi]); alone != nil {
						culprit = names[i]
						break
					}
				}
			}
			return nil, sqlFailure("kpi "+culprit, "for segmentation "+seg+": ", err, q)
		}
		for _, r := range vals {
			s, _ := r[0].(string)
			rowsBySegment[s] = r[1:]
		}
		e.log.Debug("kpis computed", "from", from, "segmentation", seg, "kpis", names, "seconds", time.Since(start).Seconds())
	}
	// Every segment with members, those whose members have no rows in from too.
	present, err := e.segmentsWithMembers(ctx, seg)
	if err != nil {
		return nil, err
	}
	// A segment whose members have no rows in from is absent from the grouped result; its value is the
	// aggregates' over no rows, as SQL computes them and as the population's grand total already is when
	// no member has a row: count(*) 0, avg and sum none (shown "-"). It used to be none for every
	// aggregate, so that the same count(*) read 0 for the population and "-" for its segments.
	var noRows []any
	for _, s := range append([]string{""}, present...) {
		if _, ok := rowsBySegment[s]; ok {
			continue
		}
		q := fmt.Sprintf("SELECT %s, 0 FROM %s WHERE false", strings.Join(aggs, ", "), sql.Ident(from))
		vals, err := e.smallQuery(ctx, q)
		if err != nil {
			return nil, sqlFailure("kpi "+names[0], "for segmentation "+seg+", over no rows: ", err, q)
		}
		if len(vals) == 1 {
			noRows = vals[0]
		}
		break
	}
	position := map[string]int{}
	for i, s := range segments {
		position[s] = i + 1
	}
	var out []store.KPIValue
	for i, k := range kpis {
		for _, s := range append([]string{""}, present...) {
			v := store.KPIValue{Segmentation: seg, KPI: names[i], Segment: s, Description: k.Description, Format: kpiFormat(k)}
			if s != "" {
				v.Position = position[s]
				if v.Position == 0 {
					v.Position = len(segments) + 1
				}
			}
			r, ok := rowsBySegment[s]
			if !ok {
				r = noRows
			}
			if r != nil {
				if f, ok := r[i].(float64); ok {
					if math.IsInf(f, 0) || math.IsNaN(f) {
						// No reader of the version could write it as JSON; it is no value, as an average
						// over no rows is.
						seg := s
						if seg == "" {
							seg = "(all)"
						}
						e.warn("kpi %s: segmentation %s, segment %s: the value is %v, not a finite number; stored as no value", names[i], v.Segmentation, seg, f)
					} else {
						v.Value = &f
					}
				}
				v.Members = toInt64(r[len(r)-1])
			}
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b store.KPIValue) int {
		return cmp.Or(cmp.Compare(slices.Index(names, a.KPI), slices.Index(names, b.KPI)), cmp.Compare(a.Position, b.Position),
			cmp.Compare(a.Segment, b.Segment))
	})
	return out, nil
}

// uniqueEntities says whether table from has at most one row per entity, once per run.
func (e *execution) uniqueEntities(ctx context.Context, step, from string) (bool, error) {
	if u, ok := e.kpiUnique[from]; ok {
		return u, nil
	}
	ent := sql.Ident(e.s.Entity)
	q := fmt.Sprintf("SELECT count(*) FROM (SELECT %[1]s FROM %[2]s GROUP BY %[1]s HAVING count(*) > 1 LIMIT 1) segrun_repeated", ent, sql.Ident(from))
	vals, err := e.smallQuery(ctx, q)
	if err != nil {
		return false, sqlFailure(step, "", err, q)
	}
	u := len(vals) == 1 && toInt64(vals[0][0]) == 0
	e.kpiUnique[from] = u
	return u, nil
}

// segmentsWithMembers lists the segments segmentation seg assigned someone to, once per run.
func (e *execution) segmentsWithMembers(ctx context.Context, seg string) ([]string, error) {
	if s, ok := e.kpiSegments[seg]; ok {
		return s, nil
	}
	q := fmt.Sprintf("SELECT DISTINCT segment::VARCHAR FROM %s ORDER BY 1", sql.Ident(seg))
	vals, err := e.smallQuery(ctx, q)
	if err != nil {
		return nil, sqlFailure("segmentation "+seg, "listing its segments for the KPIs: ", err, q)
	}
	var out []string
	for _, r := range vals {
		if s, ok := r[0].(string); ok {
			out = append(out, s)
		}
	}
	e.kpiSegments[seg] = out
	return out, nil
}

// smallQuery runs a query with a small result and returns its rows.
func (e *execution) smallQuery(ctx context.Context, q string) ([][]any, error) {
	rows, err := e.db.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	_, vals, err := sql.ScanAll(rows)
	return vals, err
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int:
		return int64(x)
	}
	return 0
}
