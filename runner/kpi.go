package runner

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// runKPI computes a KPI for every segment of each of its segmentations and for their population, as
// DuckDB aggregates over the workspace's tables: per segmentation, one statement grouping the KPI's table
// joined to the members by segment, and one over the rows of every member. A KPI is computed over the
// rows of its table that belong to the members (an inner join): a member without rows there does not
// count, and members says how many had rows; a segment none of whose members has rows gets no value
// (NULL). The population is every entity the segmentation assigned (a multi-label segmentation's entities
// once each). It returns the number of values.
func (e *execution) runKPI(ctx context.Context, name string) (int64, error) {
	k, _ := e.s.KPIs.Get(name)
	ent := sql.Ident(e.s.Entity)
	from := sql.Ident(k.From)
	var n int64
	for _, seg := range kpiSegmentations(e.s, k) {
		order := map[string]int{}
		for _, v := range e.segVersions {
			if v.Segmentation == seg {
				for j, s := range v.Segments {
					order[s] = j + 1
				}
			}
		}
		q := fmt.Sprintf(`WITH kpi_members AS (SELECT %[1]s AS segrun_kpi_entity, segment::VARCHAR AS segrun_kpi_segment FROM %[2]s),
			kpi_rows AS (SELECT m.segrun_kpi_segment, m.segrun_kpi_entity, f.* FROM kpi_members m JOIN %[3]s f ON f.%[1]s = m.segrun_kpi_entity),
			per_segment AS (SELECT segrun_kpi_segment, (%[4]s)::DOUBLE AS value, count(DISTINCT segrun_kpi_entity) AS members
				FROM kpi_rows GROUP BY segrun_kpi_segment)
			SELECT s.segrun_kpi_segment, p.value, coalesce(p.members, 0)
			FROM (SELECT DISTINCT segrun_kpi_segment FROM kpi_members) s LEFT JOIN per_segment p USING (segrun_kpi_segment)
			UNION ALL
			SELECT NULL, (%[4]s)::DOUBLE, count(DISTINCT segrun_kpi_entity)
			FROM (SELECT f.*, f.%[1]s AS segrun_kpi_entity FROM %[3]s f WHERE f.%[1]s IN (SELECT %[1]s FROM %[2]s))`,
			ent, sql.Ident(seg), from, k.Value)
		rows, err := e.db.Query(ctx, q)
		if err != nil {
			return 0, sqlFailure("kpi "+name, "for segmentation "+seg+": ", err, q)
		}
		_, vals, err := sql.ScanAll(rows)
		if err != nil {
			return 0, sqlFailure("kpi "+name, "for segmentation "+seg+": ", err, q)
		}
		var out []store.KPIValue
		for _, r := range vals {
			v := store.KPIValue{Segmentation: seg, KPI: name, Description: k.Description, Format: kpiFormat(k)}
			if s, ok := r[0].(string); ok {
				v.Segment = s
				v.Position = order[s]
				if v.Position == 0 {
					v.Position = len(order) + 1
				}
			}
			if f, ok := r[1].(float64); ok {
				v.Value = &f
			}
			v.Members = toInt64(r[2])
			out = append(out, v)
		}
		sortKPIValues(out)
		e.kpis = append(e.kpis, out...)
		n += int64(len(out))
	}
	return n, nil
}

// sortKPIValues puts the population first, then the segments in the version's order.
func sortKPIValues(vs []store.KPIValue) {
	slices.SortStableFunc(vs, func(a, b store.KPIValue) int {
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.Segment, b.Segment))
	})
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
