package report

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"image/color"
	"math"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The standard charts (bar, line, heatmap, scatter), drawn by gonum's plot as SVG. The SVG names its fonts
// without embedding them (no @font-face, nothing to fetch): Liberation Sans, whose metrics gonum lays the
// text out with, and the page's CSS falls back to Arial and Helvetica, which have the same metrics.

func init() {
	// plot reads DefaultFont when a plot is made; plotter copied it when it was initialised.
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont
}

// chartWidth and chartHeight are a chart's size in points (the page scales it to its column).
const (
	chartWidth  = 9 * vg.Inch
	chartHeight = 4.2 * vg.Inch
	// legendWidth is the strip right of a plot that holds its legend, so no legend hides data.
	legendWidth = 2.2 * vg.Inch
)

// segmentColours gives segments their colours: Tableau's ten, distinguishable and print-safe, then ten
// more of Tableau's twenty (an RFM grid has eleven segments); a segmentation with more repeats them.
var segmentColours = []color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff},
	{0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff},
	{0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
	{0xa0, 0xcb, 0xe8, 0xff}, {0xff, 0xbe, 0x7d, 0xff}, {0x8c, 0xd1, 0x7d, 0xff}, {0xb6, 0x99, 0x2d, 0xff},
	{0x49, 0x98, 0x94, 0xff}, {0xd3, 0x72, 0x95, 0xff}, {0xd4, 0xa6, 0xc8, 0xff}, {0x79, 0x70, 0x6e, 0xff},
	{0x86, 0xbc, 0xb6, 0xff}, {0xfa, 0xbf, 0xd2, 0xff},
}

// grey is the colour of what is no segment: noise, new and gone entities.
var grey = color.RGBA{0x99, 0x99, 0x99, 0xff}

// colourOf is a segment's colour in a segmentation's order.
func colourOf(order []string, segment string) color.RGBA {
	i := rank(order, segment)
	if segment == "" || segment == "noise" && i == len(order) {
		return grey
	}
	return segmentColours[i%len(segmentColours)]
}

func hexColour(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Chart is one figure of the page: its id, title and caption, and its SVG (or HTML, for the matrix).
type Chart struct {
	ID, Kind, Title, Caption string
	Body                     template.HTML
}

// svgChart renders a plot into an inline SVG with an accessible title; a legend, when given, is drawn in
// a strip to the plot's right.
func svgChart(id, kind, title, caption string, p *plot.Plot, legend *plot.Legend, w, h vg.Length) (Chart, error) {
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	if legend == nil {
		p.Draw(dc)
	} else {
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		legend.Top, legend.Left = true, true
		legend.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - vg.Points(14)
		legend.Draw(draw.Crop(dc, w-legendWidth+vg.Points(8), 0, 0, 0))
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return Chart{}, err
	}
	return Chart{ID: id, Kind: kind, Title: title, Caption: caption, Body: inlineSVG(buf.String(), id, title)}, nil
}

// inlineSVG makes a standalone SVG document fit for inlining in HTML: no XML prolog or comment, a role
// and a <title> for screen readers and the browser test, and sized by the page.
func inlineSVG(doc, id, title string) template.HTML {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	end := strings.Index(doc, ">")
	open := strings.Replace(doc[:end], "<svg", fmt.Sprintf(`<svg role="img" aria-labelledby="%s-title" class="chart-svg"`, id), 1)
	return template.HTML(open + fmt.Sprintf(`><title id="%s-title">%s</title>`, id, html.EscapeString(title)) + doc[end+1:])
}

// newPlot is a plot with the page's title and axis labels, and a light grid.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.X.Label.Text, p.Y.Label.Text = x, y
	return p
}

// newLegend is a legend for the strip right of a plot.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font.Size = 11
	l.ThumbnailWidth = vg.Points(18)
	l.Padding = vg.Points(4)
	return &l
}

// versionTicks marks the versions' as-of dates on a time axis (at most about eight of them, evenly
// chosen, the latest always), rather than round dates no version has.
func versionTicks(versions []Version) plot.Ticker {
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		step := max((len(versions)+7)/8, 1)
		var ticks []plot.Tick
		for i := len(versions) - 1; i >= 0; i -= step {
			ticks = append(ticks, plot.Tick{Value: float64(versions[i].AsOf.Unix()), Label: versions[i].AsOf.Format(time.DateOnly)})
		}
		return ticks
	})
}

// padTime widens a time axis by a few percent on each side (a day at least), so the first and last
// versions' points and labels are not on the plot's edge.
func padTime(p *plot.Plot) {
	pad := math.Max((p.X.Max-p.X.Min)*0.04, 86400)
	p.X.Min -= pad
	p.X.Max += pad
}

// percentTicks labels a percentage axis without needless decimals.
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = trimZero(fmt.Sprintf("%.2f", ticks[i].Value)) + "%"
		}
	}
	return ticks
}

// countTicks labels a count axis in thousands or millions (12k, 1.5M), which a reader takes in at a glance.
type countTicks struct{}

func (countTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = shortCount(ticks[i].Value)
		}
	}
	return ticks
}

func shortCount(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trimZero(fmt.Sprintf("%.2f", v/1e6)) + "M"
	case a >= 1e3:
		return trimZero(fmt.Sprintf("%.1f", v/1e3)) + "k"
	}
	return trimZero(fmt.Sprintf("%.2f", v))
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// sharesChart is the latest version's segment shares as horizontal bars, largest at the top.
func sharesChart(s *Segmentation, latest Version) (Chart, error) {
	title := fmt.Sprintf("%s: segment shares, %s", s.Name, latest.Label())
	p := newPlot(title, "share of the entities (%)", "")
	n := len(s.Segments)
	names := make([]string, n)
	var labels plotter.XYLabels
	for i, seg := range s.Segments {
		y := float64(n - 1 - i) // largest at the top
		names[n-1-i] = seg.Segment
		bc, err := plotter.NewBarChart(plotter.Values{100 * seg.Share}, vg.Points(14))
		if err != nil {
			return Chart{}, err
		}
		bc.Horizontal, bc.XMin = true, y
		bc.Color, bc.LineStyle.Width = colourOf(s.Order, seg.Segment), 0
		p.Add(bc)
		labels.XYs = append(labels.XYs, plotter.XY{X: 100 * seg.Share, Y: y})
		labels.Labels = append(labels.Labels, fmt.Sprintf(" %.1f%% (%s)", 100*seg.Share, thousands(seg.Size)))
	}
	if n > 0 {
		p.NominalY(names...)
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return Chart{}, err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(l)
	}
	p.X.Min = 0
	p.X.Max = math.Max(p.X.Max*1.3, 1) // room for the labels
	p.X.Tick.Marker = percentTicks{}
	p.Add(plotter.NewGrid())
	h := vg.Length(math.Max(2, 1.1+0.34*float64(n))) * vg.Inch
	return svgChart(s.Name+"-shares", "bar", title, fmt.Sprintf("%s of %s entities are in a segment. Bars: each segment's share; labels: share and member count.",
		thousands(s.Assigned), thousands(s.Entities)), p, nil, chartWidth, h)
}

// sizesChart is each segment's size in every version, one line per segment.
func sizesChart(s *Segmentation) (Chart, error) {
	title := fmt.Sprintf("%s: segment sizes across versions", s.Name)
	p := newPlot(title, "version (as-of date)", "members (entities)")
	var versions []Version
	for _, h := range s.History {
		versions = append(versions, h.Version)
	}
	p.X.Tick.Marker = versionTicks(versions)
	p.Y.Tick.Marker = countTicks{}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	legend := newLegend()
	for _, seg := range s.Order {
		var xys plotter.XYs
		for _, h := range s.History {
			xys = append(xys, plotter.XY{X: float64(h.AsOf.Unix()), Y: float64(h.Sizes[seg])})
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return Chart{}, err
		}
		c := colourOf(s.Order, seg)
		line.Color, line.Width = c, vg.Points(2)
		points.Color, points.Shape = c, draw.CircleGlyph{}
		p.Add(line, points)
		legend.Add(seg, line, points)
	}
	padTime(p)
	return svgChart(s.Name+"-sizes", "line", title, fmt.Sprintf("Members of each segment in each of the %d versions (a segment absent from a version counts 0).",
		len(s.History)), p, legend, chartWidth, chartHeight)
}

// liftGrid is a lift table as a grid for plotter.HeatMap: column c is feature c, row r segment r (the
// first segment at the top), z the lift's base-2 logarithm so that half and double are equally far from 1.
type liftGrid struct{ t *LiftTable }

func (g liftGrid) Dims() (c, r int) { return len(g.t.Features), len(g.t.Segments) }
func (g liftGrid) X(c int) float64  { return float64(c) }
func (g liftGrid) Y(r int) float64  { return float64(r) }
func (g liftGrid) Z(c, r int) float64 {
	l := g.t.Lift[len(g.t.Segments)-1-r][c]
	if l == nil || *l <= 0 {
		return math.NaN()
	}
	return math.Log2(*l)
}

// scaleGrid is the colour bar's grid: one column of steps cells from -liftRange to liftRange.
type scaleGrid struct{ steps int }

func (g scaleGrid) Dims() (c, r int) { return 1, g.steps }
func (g scaleGrid) X(c int) float64  { return 0 }
func (g scaleGrid) Y(r int) float64  { return g.Z(0, r) }
func (g scaleGrid) Z(_, r int) float64 {
	return -liftRange + 2*liftRange*(float64(r)+0.5)/float64(g.steps)
}

// liftRange is the colour scale's reach in log2(lift): 2 is a quarter to four times the population.
const liftRange = 2.0

// liftChart is the lift heatmap, each cell labelled with its lift, and a colour bar.
func liftChart(s *Segmentation) (Chart, error) {
	t := s.Lift
	title := fmt.Sprintf("%s: profile lift by segment (segment mean / everyone's mean)", s.Name)
	cmap := moreland.SmoothBlueRed()
	cmap.SetMin(-liftRange)
	cmap.SetMax(liftRange)
	hm := plotter.NewHeatMap(liftGrid{t}, cmap.Palette(255))
	hm.Min, hm.Max = -liftRange, liftRange
	hm.Underflow, hm.Overflow = color.RGBA{0x3b, 0x4c, 0xc0, 0xff}, color.RGBA{0xb4, 0x04, 0x26, 0xff}
	hm.NaN = color.RGBA{0xee, 0xee, 0xee, 0xff}
	p := newPlot(title, "profiled feature", "segment")
	p.Add(hm)
	var labels plotter.XYLabels
	for r := range t.Segments {
		for c := range t.Features {
			text := "n/a"
			if l := t.Lift[r][c]; l != nil {
				text = fmt.Sprintf("%.2f×", *l)
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(len(t.Segments) - 1 - r)})
			labels.Labels = append(labels.Labels, text)
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return Chart{}, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(l)
	p.NominalX(t.Features...)
	segs := make([]string, len(t.Segments))
	for i, sg := range t.Segments {
		segs[len(segs)-1-i] = sg
	}
	p.NominalY(segs...)

	bar := plot.New()
	bar.Title.Text = "lift"
	// The colour bar is a one-column heatmap, drawn as vector rectangles: plotter.ColorBar draws an
	// embedded raster image, which prints worse and is a data: URL the page would load.
	cb := plotter.NewHeatMap(scaleGrid{steps: 64}, cmap.Palette(255))
	cb.Min, cb.Max = -liftRange, liftRange
	bar.Add(cb)
	bar.HideX()
	var ticks []plot.Tick
	for _, v := range []float64{-2, -1, 0, 1, 2} {
		ticks = append(ticks, plot.Tick{Value: v, Label: trimZero(fmt.Sprintf("%.2f", math.Pow(2, v))) + "×"})
	}
	bar.Y.Tick.Marker = plot.ConstantTicks(ticks)
	bar.Y.Min, bar.Y.Max = -liftRange, liftRange

	w := chartWidth
	h := vg.Length(math.Max(2.4, 1.2+0.4*float64(len(t.Segments)))) * vg.Inch
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	barWidth := vg.Length(0.9) * vg.Inch
	p.Draw(draw.Crop(dc, 0, -barWidth, 0, 0))
	bar.Draw(draw.Crop(dc, w-barWidth+vg.Points(10), 0, vg.Points(24), -vg.Points(24)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return Chart{}, err
	}
	id := s.Name + "-lift"
	caption := "Red: the segment's mean is above everyone's; blue: below; grey: not defined. Source: " + t.Source + "."
	return Chart{ID: id, Kind: "heatmap", Title: title, Caption: caption, Body: inlineSVG(buf.String(), id, title)}, nil
}

// projectionChart is the latest version's sampled rows on two principal components, coloured by segment.
func projectionChart(s *Segmentation, latest Version) (Chart, error) {
	pr := s.Cluster.Projection
	title := fmt.Sprintf("%s: clusters on the first two principal components, %s", s.Name, latest.Label())
	axis := func(i int) string {
		if i < len(pr.ExplainedVarianceRatio) {
			return fmt.Sprintf("principal component %d (%.0f%% of the variance; scaled units)", i+1, 100*pr.ExplainedVarianceRatio[i])
		}
		return fmt.Sprintf("principal component %d (none: one feature)", i+1)
	}
	p := newPlot(title, axis(0), axis(1))
	p.Add(plotter.NewGrid())
	legend := newLegend()
	order := append([]string{}, s.Order...)
	for _, name := range pr.Segment {
		if rank(order, name) == len(order) {
			order = append(order, name) // noise, or a segment the sizes do not have
		}
	}
	for _, seg := range order {
		var xys plotter.XYs
		for i, name := range pr.Segment {
			if name == seg {
				xys = append(xys, plotter.XY{X: pr.X[i], Y: pr.Y[i]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return Chart{}, err
		}
		sc.GlyphStyle.Color = colourOf(s.Order, seg)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(1.8)
		p.Add(sc)
		legend.Add(fmt.Sprintf("%s (%d)", seg, len(xys)), sc)
	}
	return svgChart(s.Name+"-projection", "scatter", title, fmt.Sprintf("A seeded sample of %d of the %s clustered rows, projected on the first two principal components of the clustering's scaled features (the sample's own). Legend: points per segment in the sample.",
		len(pr.Segment), thousands(int64(pr.Rows))), p, legend, chartWidth, 5*vg.Inch)
}

// qualityChart is a clustering's silhouette and stability (ARI against the previous version) per version.
func qualityChart(s *Segmentation) (Chart, error) {
	title := fmt.Sprintf("%s: cluster validity and stability across versions", s.Name)
	p := newPlot(title, "version (as-of date)", "score (1 is best)")
	var versions []Version
	for _, q := range s.Cluster.Quality {
		versions = append(versions, q.Version)
	}
	p.X.Tick.Marker = versionTicks(versions)
	p.Add(plotter.NewGrid())
	legend := newLegend()
	var sil, ari plotter.XYs
	for _, q := range s.Cluster.Quality {
		x := float64(q.AsOf.Unix())
		if q.Scored {
			sil = append(sil, plotter.XY{X: x, Y: q.Silhouette})
		}
		if q.ARI != nil {
			ari = append(ari, plotter.XY{X: x, Y: *q.ARI})
		}
	}
	add := func(name string, xys plotter.XYs, c color.RGBA, dashed bool) error {
		if len(xys) == 0 {
			return nil
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		line.Color, line.Width, points.Color, points.Shape = c, vg.Points(2), c, draw.CircleGlyph{}
		if dashed {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		p.Add(line, points)
		legend.Add(name, line, points)
		return nil
	}
	if err := add("silhouette", sil, segmentColours[0], false); err != nil {
		return Chart{}, err
	}
	if err := add("stability (ARI)", ari, segmentColours[1], true); err != nil {
		return Chart{}, err
	}
	p.Y.Min, p.Y.Max = math.Min(p.Y.Min, 0), 1
	padTime(p)
	return svgChart(s.Name+"-quality", "line", title, "Silhouette: how well separated the clusters are (above 0.5 is clear structure). Adjusted Rand index: agreement of the clusters with the previous version's over the entities in both (1: the same partition). The table below has every score.",
		p, legend, chartWidth, chartHeight)
}

// thousands writes n with thousands separators.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
