package definitions

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// KPI is one KPI of a segmentation in the document: each segment's value and the population's in the
// latest versions that computed it (at most TrendVersions), the latest against the population's.
type KPI struct {
	Name, Description string
	// Format is how its values read: number, percent or currency.
	Format   string
	Versions []VersionRef
	// Rows are the segments in the document's order, then the population.
	Rows []KPIRow
}

// KPIRow is one segment's (or the population's) values, one per version ("–" where there is none).
type KPIRow struct {
	Segment    string
	Population bool
	Values     []string
	// Versus is the latest value against the population's: percentage points for a percent KPI, a
	// ratio otherwise; "–" without one (and for the population).
	Versus string
}

// kpis reads the segmentation's KPI values of every version and keeps each KPI's latest TrendVersions.
func (h *history) kpis(ctx context.Context, out *Segmentation) error {
	if h == nil {
		return nil
	}
	rows, err := h.st.KPIHistory(ctx, out.Name, "")
	if err != nil {
		return err
	}
	var names []string
	byKPI := map[string][]store.KPIRow{}
	for _, r := range rows {
		if _, ok := byKPI[r.KPI]; !ok {
			names = append(names, r.KPI)
		}
		byKPI[r.KPI] = append(byKPI[r.KPI], r)
	}
	for _, name := range names {
		out.KPIs = append(out.KPIs, kpiTable(name, byKPI[name], out.Segments))
	}
	return nil
}

// kpiTable arranges one KPI's rows (segment by segment, oldest first) into the document's table.
func kpiTable(name string, rows []store.KPIRow, segments []Segment) KPI {
	k := KPI{Name: name}
	var runs []int64
	for _, r := range rows {
		if !slices.Contains(runs, r.RunID) {
			runs = append(runs, r.RunID)
		}
		k.Description, k.Format = r.Description, r.Format // the latest's
	}
	slices.Sort(runs)
	if len(runs) > TrendVersions {
		runs = runs[len(runs)-TrendVersions:]
	}
	values := map[string][]*float64{}
	asOf := map[int64]string{}
	var order []string
	for _, s := range segments {
		order = append(order, s.Name)
	}
	for _, r := range rows {
		i := slices.Index(runs, r.RunID)
		if i < 0 {
			continue
		}
		asOf[r.RunID] = r.AsOf
		if values[r.Segment] == nil {
			values[r.Segment] = make([]*float64, len(runs))
			if r.Segment != "" && !slices.Contains(order, r.Segment) {
				order = append(order, r.Segment)
			}
		}
		values[r.Segment][i] = r.Value
	}
	for _, run := range runs {
		t, _ := time.Parse(time.DateOnly, asOf[run])
		k.Versions = append(k.Versions, VersionRef{Run: run, AsOf: t})
	}
	last := len(runs) - 1
	pop := values[""]
	row := func(seg string) KPIRow {
		r := KPIRow{Segment: seg, Population: seg == "", Versus: "–"}
		if seg == "" {
			r.Segment = "(population)"
		}
		for _, v := range values[seg] {
			r.Values = append(r.Values, kpiValue(k.Format, v))
		}
		if v := values[seg]; seg != "" && v[last] != nil && pop != nil && pop[last] != nil {
			switch a, b := *v[last], *pop[last]; {
			case k.Format == "percent":
				r.Versus = fmt.Sprintf("%+.1f pp", 100*(a-b))
			case b != 0:
				r.Versus = fmt.Sprintf("x%.2f", a/b)
			}
		}
		return r
	}
	for _, seg := range order {
		if values[seg] != nil {
			k.Rows = append(k.Rows, row(seg))
		}
	}
	if pop != nil {
		k.Rows = append(k.Rows, row(""))
	}
	return k
}

// kpiValue writes a KPI's value as its format reads: 43.1% for percent, 1,234.50 for currency.
func kpiValue(format string, v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "–"
	}
	switch format {
	case "percent":
		return percent(*v)
	case "currency":
		cents := int64(math.Round(math.Abs(*v) * 100))
		sign := ""
		if *v < 0 && cents > 0 {
			sign = "-"
		}
		return fmt.Sprintf("%s%s.%02d", sign, thousands(cents/100), cents%100)
	}
	return number(*v)
}
