package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/segrun/segrun/sql/store"
)

// KPIs in three places: a run's summary (briefly), segrun show (a version's KPIs per segment) and segrun
// kpis (a KPI followed across versions).

// writeRunKPIs prints a run's KPIs briefly: per KPI and segmentation, the population's value and each
// segment's with its ratio to it.
func writeRunKPIs(w io.Writer, values []store.KPIValue) {
	if len(values) == 0 {
		return
	}
	fmt.Fprintln(w, "\nkpis (segment value, ratio to the population):")
	var line strings.Builder
	flush := func() {
		if line.Len() > 0 {
			fmt.Fprintln(w, line.String())
			line.Reset()
		}
	}
	for _, c := range groupKPIs(values) {
		flush()
		fmt.Fprintf(&line, "  %s / %s: all %s", c.segmentation, c.kpi, store.FormatKPI(c.population.Value, c.population.Format))
		for _, s := range store.Compare(c.values) {
			fmt.Fprintf(&line, "; %s %s (%s)", s.Segment, store.FormatKPI(s.Value, s.Format), ratioText(s.Ratio))
		}
	}
	flush()
}

// kpiGroup is one KPI's values for one segmentation: the population's and the segments'.
type kpiGroup struct {
	segmentation, kpi string
	population        store.KPIValue
	values            []store.KPIValue
}

func groupKPIs(values []store.KPIValue) []kpiGroup {
	var out []kpiGroup
	for _, v := range values {
		if len(out) == 0 || out[len(out)-1].segmentation != v.Segmentation || out[len(out)-1].kpi != v.KPI {
			out = append(out, kpiGroup{segmentation: v.Segmentation, kpi: v.KPI})
		}
		g := &out[len(out)-1]
		if v.Segment == "" {
			g.population = v
		}
		g.values = append(g.values, v)
	}
	return out
}

func ratioText(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("x%.2f", *r)
}

// writeVersionKPIs prints a version's KPIs for one segmentation, segment by segment in order (the sizes
// table's), with the population's value, the ratio and the members each value was computed on.
func writeVersionKPIs(w io.Writer, values []store.KPIValue, order []string) {
	for _, g := range groupKPIs(values) {
		fmt.Fprintf(w, "  kpi %s (%s)", g.kpi, g.population.Format)
		if g.population.Description != "" {
			fmt.Fprintf(w, ": %s", g.population.Description)
		}
		fmt.Fprintln(w)
		rows := [][]string{{"segment", "value", "population", "difference", "ratio", "n", ""}}
		cmp := store.Compare(g.values)
		for _, seg := range order {
			for _, c := range cmp {
				if c.Segment == seg {
					rows = append(rows, []string{c.Segment, store.FormatKPI(c.Value, c.Format), store.FormatKPI(c.Population, c.Format),
						store.FormatKPIDifference(c.Difference, c.Format), ratioText(c.Ratio), thousands(c.Members), ""})
				}
			}
		}
		rows = append(rows, []string{"(all)", store.FormatKPI(g.population.Value, g.population.Format), "", "", "", thousands(g.population.Members), ""})
		writeTable(w, rows)
	}
}

// runKPIs follows KPIs across the published versions: segrun kpis [SPEC] [--segmentation S] [--kpi K].
func runKPIs(ctx context.Context, e *env, args []string) int {
	fs := newFlags("kpis", "[SPEC]")
	sf := addStoreFlags(fs, false)
	format := formatFlag(fs)
	segmentation := fs.String("segmentation", "", "only the KPIs of this segmentation (its `NAME`)")
	kpi := fs.String("kpi", "", "only this KPI (its `NAME`)")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	_, db, st, code, ok := sf.open(ctx, e, fs, rest, 0, "kpis takes no arguments but the spec")
	if !ok {
		return code
	}
	defer db.Close()
	// As show and changes: a store with nothing published is an error (exit 1), in every format.
	if _, err := resolveRun(ctx, st, 0); err != nil {
		return e.fail(err)
	}
	rows, err := st.KPIHistory(ctx, *segmentation, *kpi)
	if err != nil {
		return e.fail(err)
	}
	if len(rows) == 0 && (*segmentation != "" || *kpi != "") {
		all, err := st.KPIHistory(ctx, "", "")
		if err != nil {
			return e.fail(err)
		}
		var segs, kpis []string
		for _, r := range all {
			segs, kpis = appendNew(segs, r.Segmentation), appendNew(kpis, r.KPI)
		}
		if *segmentation != "" && !contains(segs, *segmentation) {
			return e.fail(userErrorf("no published version has KPIs for segmentation %q%s", *segmentation, suggestIn(*segmentation, segs)))
		}
		if *kpi != "" && !contains(kpis, *kpi) {
			return e.fail(userErrorf("no published version has a KPI %q%s", *kpi, suggestIn(*kpi, kpis)))
		}
	}
	type jsonRow struct {
		store.KPIRow
		Population *float64 `json:"population"`
		Difference *float64 `json:"difference"`
		Ratio      *float64 `json:"ratio"`
	}
	pop := map[string]*float64{}
	key := func(r store.KPIRow) string { return fmt.Sprint(r.RunID, "\x00", r.Segmentation, "\x00", r.KPI) }
	for _, r := range rows {
		if r.Segment == "" {
			pop[key(r)] = r.Value
		}
	}
	full := make([]jsonRow, len(rows))
	for i, r := range rows {
		full[i] = jsonRow{KPIRow: r, Population: pop[key(r)]}
		if r.Value != nil && full[i].Population != nil {
			d := *r.Value - *full[i].Population
			full[i].Difference = &d
			if *full[i].Population != 0 {
				q := *r.Value / *full[i].Population
				full[i].Ratio = &q
			}
		}
	}
	num := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	switch *format {
	case "json":
		return e.writeJSON(nonNil(full))
	case "csv":
		out := [][]string{{"run_id", "as_of", "segmentation", "kpi", "segment", "value", "members", "population", "difference", "ratio", "format"}}
		for _, r := range full {
			out = append(out, []string{strconv.FormatInt(r.RunID, 10), r.AsOf, r.Segmentation, r.KPI, r.Segment, num(r.Value),
				strconv.FormatInt(r.Members, 10), num(r.Population), num(r.Difference), num(r.Ratio), r.Format})
		}
		return e.writeCSV(out)
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stdout, "store %s has no KPI values yet (kpis: in the spec computes them with each run)\n", st.Path)
		return ExitOK
	}
	// Text: per segmentation and KPI, a segment per row and a version per column.
	type table struct {
		seg, kpi, format, desc string
		runs                   []string
		cells                  map[string]map[string]string
		segments               []string
	}
	var tables []*table
	for _, r := range rows {
		if len(tables) == 0 || tables[len(tables)-1].seg != r.Segmentation || tables[len(tables)-1].kpi != r.KPI {
			tables = append(tables, &table{seg: r.Segmentation, kpi: r.KPI, format: r.Format, desc: r.Description, cells: map[string]map[string]string{}})
		}
		t := tables[len(tables)-1]
		run := fmt.Sprintf("v%d %s", r.RunID, r.AsOf)
		t.runs = appendNew(t.runs, run)
		seg := r.Segment
		if seg == "" {
			seg = "(all)"
		}
		t.segments = appendNew(t.segments, seg)
		if t.cells[seg] == nil {
			t.cells[seg] = map[string]string{}
		}
		t.cells[seg][run] = store.FormatKPI(r.Value, r.Format)
	}
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "%s / %s (%s)", t.seg, t.kpi, t.format)
		if t.desc != "" {
			fmt.Fprintf(e.stdout, ": %s", t.desc)
		}
		fmt.Fprintln(e.stdout)
		sortRuns(t.runs)
		out := [][]string{append([]string{"segment"}, append(t.runs, "")...)}
		for _, seg := range t.segments {
			row := []string{seg}
			for _, run := range t.runs {
				c := t.cells[seg][run]
				if c == "" {
					c = "-"
				}
				row = append(row, c)
			}
			out = append(out, append(row, ""))
		}
		writeTable(e.stdout, out)
	}
	return ExitOK
}

// sortRuns orders "vN as_of" labels by N.
func sortRuns(runs []string) {
	n := func(s string) int {
		v, _ := strconv.Atoi(strings.TrimPrefix(strings.Fields(s)[0], "v"))
		return v
	}
	for i := 1; i < len(runs); i++ {
		for j := i; j > 0 && n(runs[j]) < n(runs[j-1]); j-- {
			runs[j], runs[j-1] = runs[j-1], runs[j]
		}
	}
}

func appendNew(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// kpisJSON is a version's KPIs as segrun show --format json gives them: per KPI, the population's value
// and members, and each segment's value beside it.
func kpisJSON(values []store.KPIValue) []map[string]any {
	var out []map[string]any
	for _, g := range groupKPIs(values) {
		out = append(out, map[string]any{"kpi": g.kpi, "description": g.population.Description, "format": g.population.Format,
			"population": map[string]any{"value": g.population.Value, "members": g.population.Members},
			"segments":   nonNil(store.Compare(g.values))})
	}
	return out
}
