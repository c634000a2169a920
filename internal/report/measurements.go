package report

import (
	"context"
	"fmt"
	"html/template"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// The lift section of an audience: what segrun measure stored for it (the store's measurements, schema
// 7), its latest measured version's comparisons, each outcome and window a table: treatment against
// control overall and per segment, the lift with its 95% interval and the p-value.

// MeasurementSection is an audience's measurements of its latest measured version.
type MeasurementSection struct {
	Version      Version
	Measurements []MeasurementView
}

// MeasurementView is one measurement as the page shows it.
type MeasurementView struct {
	Outcome, Metric string
	WindowDays      int
	WindowFrom      string
	WindowTo        string
	Rows            []MeasurementRow
	Warnings        []string
}

// MeasurementRow is one comparison, its numbers formatted.
type MeasurementRow struct {
	Group                            string
	Treated, Control                 int64
	TreatedMetric, ControlMetric     string
	Lift, Interval, Relative, PValue string
	// Significant: the interval excludes 0.
	Significant bool
}

// loadMeasurements reads an audience's measurements; nil when it has none.
func loadMeasurements(ctx context.Context, st *store.Store, audience string) (*MeasurementSection, error) {
	ms, err := st.Measurements(ctx, audience)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	sec := &MeasurementSection{Version: Version{Run: ms[0].Run, AsOf: ms[0].AsOf}}
	for _, m := range ms {
		if m.Run != ms[0].Run {
			break // latest measured version first: the page shows that one
		}
		v := MeasurementView{Outcome: m.Outcome, Metric: m.Metric, WindowDays: m.WindowDays,
			WindowFrom: m.WindowStart.Format(time.DateOnly), WindowTo: m.WindowEnd.AddDate(0, 0, -1).Format(time.DateOnly)}
		for _, g := range append([]store.MeasuredGroup{m.Overall}, m.Segments...) {
			label := "all members"
			if g.Segment != "" {
				label = g.Segmentation + ": " + g.Segment
			}
			r := MeasurementRow{Group: label, Treated: int64(g.Treatment.N), Control: int64(g.Control.N),
				TreatedMetric: metricCell(m.Metric, g.Treatment.Metric), ControlMetric: metricCell(m.Metric, g.Control.Metric), Lift: "–"}
			if l := g.Lift; l != nil {
				r.Lift = liftCell(m.Metric, l.Absolute.Value)
				r.Interval = fmt.Sprintf("%s to %s", liftCell(m.Metric, l.Absolute.Low), liftCell(m.Metric, l.Absolute.High))
				if l.Relative != nil {
					r.Relative = fmt.Sprintf("%+.1f%%", 100*l.Relative.Value)
				}
				r.PValue = fmt.Sprintf("%.4f", l.PValue)
				r.Significant = l.Absolute.Low > 0 || l.Absolute.High < 0
				if g.Segment == "" {
					v.Warnings = append(v.Warnings, l.Warnings...)
				}
			} else {
				r.Interval = g.Note
			}
			v.Rows = append(v.Rows, r)
		}
		v.Warnings = append(v.Warnings, m.Warnings...)
		sec.Measurements = append(sec.Measurements, v)
	}
	return sec, nil
}

func metricCell(metric string, v float64) string {
	if metric == "revenue" {
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

func liftCell(metric string, v float64) string {
	if metric == "revenue" {
		return fmt.Sprintf("%+.2f", v)
	}
	return fmt.Sprintf("%+.1f pp", 100*v)
}

const measurementsTemplate = `<h3>Lift: treatment against the holdout, version {{.Version.Run}} (as of {{date .Version.AsOf}})</h3>
{{range .Measurements}}<table aria-label="lift on {{.Outcome}}" class="lift">
<caption><b>{{.Outcome}}</b>: {{if eq .Metric "revenue"}}revenue per member{{else}}share of members who converted{{end}}, {{.WindowDays}} days from {{.WindowFrom}} to {{.WindowTo}}</caption>
<thead><tr><th>group</th><th>treated</th><th>held out</th><th>metric, treated</th><th>metric, held out</th><th>lift</th><th>95% interval</th><th>relative</th><th>p-value</th></tr></thead>
<tbody>{{range .Rows}}<tr{{if .Significant}} class="significant"{{end}}><td>{{.Group}}</td><td>{{thousands .Treated}}</td><td>{{thousands .Control}}</td><td>{{.TreatedMetric}}</td><td>{{.ControlMetric}}</td><td>{{.Lift}}</td><td>{{.Interval}}</td><td>{{.Relative}}</td><td>{{.PValue}}</td></tr>{{end}}</tbody>
</table>
{{range .Warnings}}<p class="warn">{{.}}</p>{{end}}{{end}}`

func init() { template.Must(tmpl.New("measurements").Parse(measurementsTemplate)) }
