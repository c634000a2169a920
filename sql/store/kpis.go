package store

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// KPIValue is a KPI's value for one segment of a segmentation's version, or for its population (Segment
// ""): computed over the rows of the KPI's table that belong to the members (Members of them had rows).
type KPIValue struct {
	Segmentation string `json:"segmentation"`
	KPI          string `json:"kpi"`
	// Segment is "" for the population: every entity the segmentation assigned.
	Segment string `json:"segment,omitempty"`
	// Position orders a segmentation's rows of one KPI: 0 the population, then the segments in the
	// version's order.
	Position int `json:"-"`
	// Value is nil when no member had a row (or the aggregate is NULL).
	Value       *float64 `json:"value"`
	Members     int64    `json:"members"`
	Description string   `json:"description,omitempty"`
	Format      string   `json:"format"`
}

// kpiValuesDDL is the table of KPI values (schema version 5), written in the publish transaction.
const kpiValuesDDL = `CREATE TABLE IF NOT EXISTS segrun_store.kpi_values (
		run_id BIGINT NOT NULL,
		segmentation VARCHAR NOT NULL,
		kpi VARCHAR NOT NULL,
		segment VARCHAR,
		position INTEGER NOT NULL,
		value DOUBLE PRECISION,
		members BIGINT NOT NULL,
		description VARCHAR,
		format VARCHAR NOT NULL)`

// kpiComparisonView sets each segment's value beside its population's: difference and ratio. Created with
// the membership views (the store as the default catalog, so it works in any DuckDB client).
const kpiComparisonView = `CREATE OR REPLACE VIEW segrun_store.kpi_comparison AS
		SELECT k.run_id, k.segmentation, k.kpi, k.segment, k.value, p.value AS population_value,
		       k.value - p.value AS difference, k.value / nullif(p.value, 0) AS ratio, k.members, p.members AS population_members,
		       k.format, k.description
		FROM kpi_values k JOIN kpi_values p
		  ON p.run_id = k.run_id AND p.segmentation = k.segmentation AND p.kpi = k.kpi AND p.segment IS NULL
		WHERE k.segment IS NOT NULL`

// publishKPIs writes a run's KPI values, inside Publish's transaction.
func (s *Store) publishKPIs(ctx context.Context, run int64, values []KPIValue) error {
	rows := make([][]any, len(values))
	for i, v := range values {
		var seg, desc, val any
		if v.Segment != "" {
			seg = v.Segment
		}
		if v.Description != "" {
			desc = v.Description
		}
		if v.Value != nil {
			val = *v.Value
		}
		rows[i] = []any{run, v.Segmentation, v.KPI, seg, v.Position, val, v.Members, desc, v.Format}
	}
	return s.insertRows(ctx, "segrun_store.kpi_values", "(?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
}

// KPIValues returns a run's KPI values for segmentation ("" for every one), KPI by KPI, the population
// first. A store older than schema version 5 has none.
func (s *Store) KPIValues(ctx context.Context, run int64, segmentation string) ([]KPIValue, error) {
	return s.queryKPIs(ctx, "run_id = ? AND (? = '' OR segmentation = ?)", run, segmentation, segmentation)
}

// KPIRow is one KPI value of a published version, for following a KPI across versions.
type KPIRow struct {
	RunID int64  `json:"run_id"`
	AsOf  string `json:"as_of"`
	KPIValue
}

// KPIHistory lists the KPI values of every published version, oldest first, optionally of one
// segmentation and one KPI.
func (s *Store) KPIHistory(ctx context.Context, segmentation, kpi string) ([]KPIRow, error) {
	if s.version < 5 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT k.run_id, `+s.d.dateText("r.as_of")+`, `+kpiColumns+`
		FROM segrun_store.kpi_values k JOIN segrun_store.runs r USING (run_id)
		WHERE r.status = ? AND (? = '' OR k.segmentation = ?) AND (? = '' OR k.kpi = ?)
		ORDER BY k.segmentation, k.kpi, k.position, k.run_id`, StatusPublished, segmentation, segmentation, kpi, kpi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KPIRow
	for rows.Next() {
		var r KPIRow
		dest := append([]any{&r.RunID, &r.AsOf}, kpiDest(&r.KPIValue)...)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const kpiColumns = `k.segmentation, k.kpi, coalesce(k.segment, ''), k.position, k.value, k.members, coalesce(k.description, ''), k.format`

func kpiDest(v *KPIValue) []any {
	return []any{&v.Segmentation, &v.KPI, &v.Segment, &v.Position, &v.Value, &v.Members, &v.Description, &v.Format}
}

func (s *Store) queryKPIs(ctx context.Context, where string, args ...any) ([]KPIValue, error) {
	if s.version < 5 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, "SELECT "+kpiColumns+" FROM segrun_store.kpi_values k WHERE "+where+
		" ORDER BY k.segmentation, k.kpi, k.position", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KPIValue
	for rows.Next() {
		var v KPIValue
		if err := rows.Scan(kpiDest(&v)...); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// KPIComparison is one segment's KPI value beside its population's.
type KPIComparison struct {
	KPI         string   `json:"kpi"`
	Description string   `json:"description,omitempty"`
	Format      string   `json:"format"`
	Segment     string   `json:"segment"`
	Value       *float64 `json:"value"`
	Population  *float64 `json:"population"`
	Difference  *float64 `json:"difference"`
	Ratio       *float64 `json:"ratio"`
	Members     int64    `json:"members"`
}

// Compare sets each segment's value beside its population's (values as KPIValues returns them).
func Compare(values []KPIValue) []KPIComparison {
	pop := map[string]*float64{}
	for _, v := range values {
		if v.Segment == "" {
			pop[v.Segmentation+"\x00"+v.KPI] = v.Value
		}
	}
	var out []KPIComparison
	for _, v := range values {
		if v.Segment == "" {
			continue
		}
		c := KPIComparison{KPI: v.KPI, Description: v.Description, Format: v.Format, Segment: v.Segment, Value: v.Value,
			Population: pop[v.Segmentation+"\x00"+v.KPI], Members: v.Members}
		if c.Value != nil && c.Population != nil {
			d := *c.Value - *c.Population
			c.Difference = &d
			if *c.Population != 0 {
				r := *c.Value / *c.Population
				c.Ratio = &r
			}
		}
		out = append(out, c)
	}
	return out
}

// FormatKPI writes a KPI value as its format reads: percent as a percentage, currency with two decimals.
func FormatKPI(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	switch format {
	case "percent":
		return fmt.Sprintf("%.1f%%", 100**v)
	case "currency":
		return strings.TrimSuffix(fmt.Sprintf("%.2f", *v), ".00")
	default:
		// Four significant digits, but a large value as a whole number: %.4g writes 14420 as 1.442e+04.
		if a := math.Abs(*v); a >= 1e4 && a < 1e15 {
			return strconv.FormatFloat(math.Round(*v), 'f', 0, 64)
		}
		return fmt.Sprintf("%.4g", *v)
	}
}

// FormatKPIDifference writes a difference of two KPI values: percentage points for a percent KPI (a share
// of 40% against 43% is -3.0 pp, not -3.0%), otherwise as FormatKPI.
func FormatKPIDifference(v *float64, format string) string {
	if v != nil && format == "percent" {
		return fmt.Sprintf("%+.1f pp", 100**v)
	}
	return FormatKPI(v, format)
}
