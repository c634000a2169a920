package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/segrun/segrun/runner/methods"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// KPIView is one KPI's chart and table on the page.
type KPIView struct {
	*KPITrend
	Chart *Chart
	// Columns are the versions the table shows (the last few); Rows its segments, the population last.
	Columns []Version
	Rows    []KPIRowView
}

// KPIRowView is one table row: a segment's (or the population's) values in the shown versions and its
// latest value against the population's.
type KPIRowView struct {
	Segment    string
	Population bool
	Values     []string
	Members    int64
	// Versus is the latest value against the population's: percentage points for a percent KPI, a ratio
	// otherwise; "" for the population or without values.
	Versus string
}

// kpiTableVersions is how many versions a KPI table shows (the chart shows them all).
const kpiTableVersions = 4

// formatKPI writes a KPI value as its format reads: 43.1% for percent, 1,234.50 for currency.
func formatKPI(format string, v *float64) string {
	if v == nil || math.IsNaN(*v) {
		return "–"
	}
	switch format {
	case "percent":
		return fmt.Sprintf("%.1f%%", 100**v)
	case "currency":
		whole := math.Trunc(math.Abs(*v))
		cents := math.Round((math.Abs(*v) - whole) * 100)
		if cents == 100 {
			whole, cents = whole+1, 0
		}
		sign := ""
		if *v < 0 {
			sign = "-"
		}
		return fmt.Sprintf("%s%s.%02d", sign, thousands(int64(whole)), int64(cents))
	}
	return trimZero(fmt.Sprintf("%.4g", *v))
}

// kpiAxis is the value axis's label and the factor that turns a value into its unit.
func kpiAxis(t *KPITrend) (string, float64) {
	switch t.Format {
	case "percent":
		return t.Name + " (% of members)", 100
	case "currency":
		return t.Name + " (currency units per member)", 1
	}
	return t.Name, 1
}

func kpiView(s *Segmentation, t *KPITrend) (KPIView, error) {
	v := KPIView{KPITrend: t}
	from := max(0, len(t.Versions)-kpiTableVersions)
	v.Columns = t.Versions[from:]
	last := len(t.Versions) - 1
	pop := t.Values[""]
	row := func(seg string) KPIRowView {
		r := KPIRowView{Segment: seg, Population: seg == "", Members: t.Members[seg]}
		if seg == "" {
			r.Segment = "everyone (population)"
		}
		vals := t.Values[seg]
		for i := from; i <= last; i++ {
			var x *float64
			if vals != nil {
				x = vals[i]
			}
			r.Values = append(r.Values, formatKPI(t.Format, x))
		}
		if seg != "" && vals != nil && vals[last] != nil && pop != nil && pop[last] != nil {
			a, b := *vals[last], *pop[last]
			switch {
			case t.Format == "percent":
				r.Versus = fmt.Sprintf("%+.1f pp", 100*(a-b))
			case b != 0:
				r.Versus = fmt.Sprintf("x%.2f", a/b)
			}
		}
		return r
	}
	for _, seg := range t.Segments {
		v.Rows = append(v.Rows, row(seg))
	}
	v.Rows = append(v.Rows, row(""))
	c, err := kpiChart(s, t)
	if err != nil {
		return v, err
	}
	v.Chart = &c
	return v, nil
}

// kpiChart is a KPI's value in every version, one line per segment and a dashed grey line for the
// population.
func kpiChart(s *Segmentation, t *KPITrend) (Chart, error) {
	title := fmt.Sprintf("%s: %s by segment across versions", s.Name, t.Name)
	label, factor := kpiAxis(t)
	p := newPlot(title, "version (as-of date)", label)
	p.X.Tick.Marker = versionTicks(t.Versions)
	if t.Format == "percent" {
		p.Y.Tick.Marker = percentTicks{}
	} else {
		p.Y.Tick.Marker = countTicks{}
	}
	p.Add(plotter.NewGrid())
	legend := newLegend()
	lowest := math.Inf(1)
	add := func(name string, vals []*float64, dashed bool) error {
		var xys plotter.XYs
		for i, x := range vals {
			if x != nil && !math.IsNaN(*x) && !math.IsInf(*x, 0) {
				xys = append(xys, plotter.XY{X: float64(t.Versions[i].AsOf.Unix()), Y: factor * *x})
				lowest = math.Min(lowest, factor**x)
			}
		}
		if len(xys) == 0 {
			return nil
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		c := colourOf(s.Order, name)
		if dashed {
			c = grey
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			name = "everyone"
		}
		line.Color, line.Width = c, vg.Points(2)
		points.Color, points.Shape = c, draw.CircleGlyph{}
		p.Add(line, points)
		legend.Add(name, line, points)
		return nil
	}
	for _, seg := range t.Segments {
		if err := add(seg, t.Values[seg], false); err != nil {
			return Chart{}, err
		}
	}
	if err := add("", t.Values[""], true); err != nil {
		return Chart{}, err
	}
	if lowest >= 0 {
		p.Y.Min = 0 // values that cannot be negative read against zero
	}
	padTime(p)
	what := t.Description
	if what == "" {
		what = "KPI " + t.Name
	}
	caption := fmt.Sprintf("%s. One line per segment, everyone's value dashed; %d version%s.", strings.TrimSuffix(what, "."), len(t.Versions), plural(len(t.Versions)))
	return svgChart(s.Name+"-kpi-"+t.Name, "line", title, caption, p, legend, chartWidth, chartHeight)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// AuditView is one audit of the latest version on the page.
type AuditView struct {
	Index             int
	Kind, Severity    string
	Status, StatusCSS string
	Note              string
	Checks            []AuditCheckView
}

// AuditCheckView is one check of an audit, as a sentence.
type AuditCheckView struct {
	Text   string
	Failed bool
}

func auditViews(s *Segmentation) []AuditView {
	if s.Audits == nil {
		return nil
	}
	var out []AuditView
	for _, a := range s.Audits.Results {
		v := AuditView{Index: a.Index, Kind: a.Audit, Severity: a.Severity, Note: a.Note}
		switch a.Status {
		case methods.AuditFail:
			// A published version's failures are warnings: an error one would have stopped the run.
			v.Status, v.StatusCSS = "failed: warned, published", "warn"
			if a.Severity != "warn" {
				v.Status, v.StatusCSS = "failed", "fail"
			}
		case methods.AuditPass:
			v.Status, v.StatusCSS = "passed", "pass"
		default:
			v.Status, v.StatusCSS = "not compared", "none"
		}
		if a.Against != 0 {
			v.Status += fmt.Sprintf(", against version %d", a.Against)
		}
		for _, c := range a.Checks {
			v.Checks = append(v.Checks, AuditCheckView{Text: c.Describe(a.Audit), Failed: c.Failed})
		}
		out = append(out, v)
	}
	return out
}
