package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"time"
)

//go:embed page.html.tmpl
var pageTemplate string

// page is the template's data: the report and its charts, drawn before the template runs so a chart that
// fails to draw is an error, not half a page.
type page struct {
	*Report
	Sections []section
}

// section is one segmentation's part of the page.
type section struct {
	*Segmentation
	Shares, Sizes, Flow, Lift, Projection, Quality *Chart
	Matrix                                         *Matrix
	KPIViews                                       []KPIView
	AuditViews                                     []AuditView
	// Absent says what the section cannot show and why (one version only, no profile stored).
	Absent []string
}

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"thousands": thousands,
	"pct":       func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"f3":        func(v float64) string { return fmt.Sprintf("%.3f", v) },
	"f1":        func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"date":      func(t time.Time) string { return t.Format(time.DateOnly) },
	"label":     func(v Version) string { return v.Label() },
	"add":       func(a, b int64) int64 { return a + b },
}).Parse(pageTemplate))

// Render writes the report as one self-contained HTML page.
func Render(w io.Writer, r *Report) error {
	p := page{Report: r}
	for _, s := range r.Segmentations {
		sec, err := renderSection(r, s)
		if err != nil {
			return fmt.Errorf("segmentation %s: %w", s.Name, err)
		}
		p.Sections = append(p.Sections, sec)
	}
	return tmpl.Execute(w, p)
}

func renderSection(r *Report, s *Segmentation) (section, error) {
	sec := section{Segmentation: s}
	keep := func(c Chart, err error) (*Chart, error) {
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
	var err error
	if len(s.Segments) > 0 {
		if sec.Shares, err = keep(sharesChart(s, r.Latest)); err != nil {
			return sec, err
		}
	}
	if len(s.History) > 0 && len(s.Order) > 0 {
		if sec.Sizes, err = keep(sizesChart(s)); err != nil {
			return sec, err
		}
	}
	if s.Moves != nil {
		c := sankeyChart(s)
		sec.Flow = &c
		sec.Matrix = transitionMatrix(s)
	} else if len(s.History) < 2 {
		sec.Absent = append(sec.Absent, "Moves between versions: this segmentation has one version so far; the next run shows who moved.")
	} else {
		sec.Absent = append(sec.Absent, "Moves between versions: the store keeps no transitions for this segmentation (a multi segmentation's segments overlap).")
	}
	if s.KPIs != nil {
		for i := range s.KPIs.KPIs {
			v, err := kpiView(s, &s.KPIs.KPIs[i])
			if err != nil {
				return sec, err
			}
			sec.KPIViews = append(sec.KPIViews, v)
		}
	}
	sec.AuditViews = auditViews(s)
	if s.Audience != nil {
		// An audience is chosen, not profiled: no lift to miss.
		return sec, nil
	}
	if s.Lift != nil && len(s.Lift.Segments) > 0 && len(s.Lift.Features) > 0 {
		if sec.Lift, err = keep(liftChart(s)); err != nil {
			return sec, err
		}
	} else {
		sec.Absent = append(sec.Absent, "Profile lift: "+noProfileReason(s.Method))
	}
	if c := s.Cluster; c != nil {
		if c.Projection != nil && len(c.Projection.X) > 0 {
			if sec.Projection, err = keep(projectionChart(s, r.Latest)); err != nil {
				return sec, err
			}
		} else {
			sec.Absent = append(sec.Absent, "Cluster projection: the latest version stored no sample of points (versions published before segrun kept one).")
		}
		if len(c.Quality) > 0 {
			if sec.Quality, err = keep(qualityChart(s)); err != nil {
				return sec, err
			}
		}
	}
	return sec, nil
}

// Matrix is the transition matrix as a table: rows are the earlier version's segments, columns the later
// one's, each cell the entities that went from one to the other and their share of the row.
type Matrix struct {
	ID, Title string
	From, To  []string
	Rows      []MatrixRow
}

// MatrixRow is one source segment's row.
type MatrixRow struct {
	From  string
	Total int64
	Cells []MatrixCell
}

// MatrixCell is one cell; Shade is its share of the row as an opacity for the cell's background.
type MatrixCell struct {
	Entities int64
	Share    float64
	Diagonal bool
}

// Shade is the cell's background as a CSS colour: darker for a larger share of the row.
func (c MatrixCell) Shade() template.CSS {
	return template.CSS(fmt.Sprintf("background: rgba(78, 121, 167, %.3f)", 0.08+0.72*c.Share))
}

func transitionMatrix(s *Segmentation) *Matrix {
	m := s.Moves
	pos := func(seg string) int {
		if seg == "" {
			return len(s.Order) + 1
		}
		return rank(s.Order, seg)
	}
	var from, to []string
	count := map[[2]string]int64{}
	for _, f := range m.Flows {
		if !slices.Contains(from, f.From) {
			from = append(from, f.From)
		}
		if !slices.Contains(to, f.To) {
			to = append(to, f.To)
		}
		count[[2]string{f.From, f.To}] += f.Entities
	}
	byPos := func(a, b string) int { return pos(a) - pos(b) }
	slices.SortStableFunc(from, byPos)
	slices.SortStableFunc(to, byPos)
	out := &Matrix{ID: s.Name + "-matrix", Title: fmt.Sprintf("%s: transition matrix, %s to %s", s.Name, m.From.Label(), m.To.Label())}
	for _, f := range from {
		out.From = append(out.From, nodeName(f, true))
	}
	for _, t := range to {
		out.To = append(out.To, nodeName(t, false))
	}
	for _, f := range from {
		row := MatrixRow{From: nodeName(f, true)}
		for _, t := range to {
			row.Total += count[[2]string{f, t}]
		}
		for _, t := range to {
			n := count[[2]string{f, t}]
			c := MatrixCell{Entities: n, Diagonal: f == t && f != ""}
			if row.Total > 0 {
				c.Share = float64(n) / float64(row.Total)
			}
			row.Cells = append(row.Cells, c)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// noProfileReason says why a segmentation's latest version has no profile: every method but clv and
// audiences profiles by default, so only profile: [] or an older version leaves one out.
func noProfileReason(method string) string {
	switch method {
	case "clv":
		return "a clv segmentation has none (its input has a row per purchase, not one per customer)."
	case "audience":
		return "an audience has none; the profiles of the segments it includes describe its members."
	}
	return "the latest version stored no profile (profile: [] in the spec turns profiles off; a version with no member, or published before segrun profiled by default, has none)."
}
