package report

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"

	"github.com/segrun/segrun/sql/store"
)

// The flow diagram (Sankey) of who moved between two versions: no charting library draws one, so it is
// drawn here as SVG. The layout is deterministic: nodes in the segmentation's order (new and gone last),
// each node as tall as its entities, each band as wide as its flow, bands leaving a node in the order of
// their targets and arriving in the order of their sources, so nothing crosses that need not.

// Sankey geometry, in SVG user units (the page scales the drawing to its column).
const (
	sankeyWidth   = 720.0
	sankeyTop     = 56.0 // room for the title and the column headings
	sankeyBottom  = 16.0
	sankeyBody    = 360.0 // the nodes' total height, gaps included
	sankeyGap     = 10.0
	sankeyNode    = 14.0 // node width
	sankeyLabelW  = 170.0
	newLabel      = "(new)"
	goneLabel     = "(gone)"
	sankeyMinBand = 0.5  // a flow is at least this thick, so that a single mover stays visible
	sankeyLabelH  = 15.0 // a node's slot is at least this tall, so that small nodes' labels do not overlap
)

// sankeyNodeBox is one node: a segment on one side.
type sankeyNodeBox struct {
	segment  string // "" is no segment
	total    int64
	y, h     float64
	position int
}

// sankeyBand is one flow's band: where it leaves its source node (ys) and reaches its target (yt), and
// its thickness.
type sankeyBand struct {
	flow      store.Transition
	ys, yt, h float64
}

// sankeyLayout is the diagram's geometry: the nodes on each side, the bands, the drawing's height.
type sankeyLayout struct {
	left, right []*sankeyNodeBox
	bands       []sankeyBand
	height      float64
}

// layoutSankey places the nodes and bands of moves: nodes in order (segments in the segmentation's
// order, no segment last), one scale for both sides so a node's height is its entities, bands stacked
// at their source in their targets' order and at their target in their sources' order.
func layoutSankey(m *Moves, order []string) sankeyLayout {
	pos := func(seg string) int { // "" (new or gone) last
		if seg == "" {
			return len(order) + 1
		}
		return rank(order, seg)
	}
	l := sankeyLayout{left: sankeyNodes(m.Flows, pos, true), right: sankeyNodes(m.Flows, pos, false)}
	total := m.Total()
	scale := func(nodes []*sankeyNodeBox) float64 {
		free := sankeyBody - sankeyGap*float64(len(nodes)-1)
		return free / float64(max(total, 1))
	}
	k := min(scale(l.left), scale(l.right))
	// Each node sits in a slot at least a label tall, its bar centred in it; the drawing grows when
	// small nodes' slots need more room than the body has.
	bottom := sankeyTop + sankeyBody
	place := func(nodes []*sankeyNodeBox) {
		y := sankeyTop
		for _, n := range nodes {
			n.h = max(float64(n.total)*k, sankeyMinBand)
			slot := max(n.h, sankeyLabelH)
			n.y = y + (slot-n.h)/2
			y += slot + sankeyGap
		}
		bottom = max(bottom, y-sankeyGap)
	}
	place(l.left)
	place(l.right)
	l.height = bottom + sankeyBottom

	flows := slices.Clone(m.Flows)
	slices.SortStableFunc(flows, func(a, c store.Transition) int {
		return cmp.Or(cmp.Compare(pos(a.From), pos(c.From)), cmp.Compare(pos(a.To), pos(c.To)))
	})
	byTarget := slices.Clone(flows)
	slices.SortStableFunc(byTarget, func(a, c store.Transition) int {
		return cmp.Or(cmp.Compare(pos(a.To), pos(c.To)), cmp.Compare(pos(a.From), pos(c.From)))
	})
	thickness := func(f store.Transition) float64 { return max(float64(f.Entities)*k, sankeyMinBand) }
	arrive := map[[2]string]float64{} // where each band arrives on its target
	used := map[*sankeyNodeBox]float64{}
	for _, f := range byTarget {
		n := nodeOf(l.right, f.To)
		arrive[[2]string{f.From, f.To}] = n.y + used[n]
		used[n] += thickness(f)
	}
	for _, f := range flows {
		n := nodeOf(l.left, f.From)
		h := thickness(f)
		l.bands = append(l.bands, sankeyBand{flow: f, ys: n.y + used[n], yt: arrive[[2]string{f.From, f.To}], h: h})
		used[n] += h
	}
	return l
}

// sankeyChart draws moves as SVG.
func sankeyChart(s *Segmentation) Chart {
	m := s.Moves
	id := s.Name + "-flow"
	title := fmt.Sprintf("%s: who moved from %s to %s", s.Name, m.From.Label(), m.To.Label())
	l := layoutSankey(m, s.Order)
	left, right, height := l.left, l.right, l.height
	total := m.Total()
	x0, x1 := sankeyLabelW, sankeyWidth-sankeyLabelW-sankeyNode

	var b strings.Builder
	fmt.Fprintf(&b, `<svg role="img" aria-labelledby="%s-title" class="chart-svg sankey" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g">`,
		id, sankeyWidth, height, sankeyWidth, height)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title>`, id, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%g" y="18" text-anchor="middle" class="sk-title">%s</text>`, sankeyWidth/2, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%g" y="40" text-anchor="middle" class="sk-head">%s</text>`, x0+sankeyNode/2, html.EscapeString(m.From.Label()))
	fmt.Fprintf(&b, `<text x="%g" y="40" text-anchor="middle" class="sk-head">%s</text>`, x1+sankeyNode/2, html.EscapeString(m.To.Label()))

	b.WriteString(`<g class="sk-bands">`)
	for _, band := range l.bands {
		f, ys, yt, h := band.flow, band.ys, band.yt, band.h
		xs, xt := x0+sankeyNode, x1
		mid := (xs + xt) / 2
		colour := hexColour(colourOf(s.Order, f.From))
		if f.From == "" {
			colour = hexColour(colourOf(s.Order, f.To))
		}
		fmt.Fprintf(&b, `<path d="M%.2f,%.2f C%.2f,%.2f %.2f,%.2f %.2f,%.2f L%.2f,%.2f C%.2f,%.2f %.2f,%.2f %.2f,%.2f Z" fill="%s" fill-opacity="0.45"><title>%s → %s: %s</title></path>`,
			xs, ys, mid, ys, mid, yt, xt, yt, xt, yt+h, mid, yt+h, mid, ys+h, xs, ys+h, colour,
			html.EscapeString(nodeName(f.From, true)), html.EscapeString(nodeName(f.To, false)), thousands(f.Entities))
	}
	b.WriteString(`</g>`)
	drawNodes := func(nodes []*sankeyNodeBox, x float64, isLeft bool) {
		for _, n := range nodes {
			fmt.Fprintf(&b, `<rect x="%g" y="%.2f" width="%g" height="%.2f" fill="%s"/>`, x, n.y, sankeyNode, n.h, hexColour(colourOf(s.Order, n.segment)))
			lx, anchor := x-6, "end"
			if !isLeft {
				lx, anchor = x+sankeyNode+6, "start"
			}
			fmt.Fprintf(&b, `<text x="%g" y="%.2f" text-anchor="%s" dominant-baseline="middle" class="sk-label">%s <tspan class="sk-count">%s</tspan></text>`,
				lx, n.y+n.h/2, anchor, html.EscapeString(nodeName(n.segment, isLeft)), thousands(n.total))
		}
	}
	drawNodes(left, x0, true)
	drawNodes(right, x1, false)
	b.WriteString(`</svg>`)
	caption := fmt.Sprintf("Left: each entity's segment in %s; right: in %s. Band width is the number of entities (%s). %s: entities not in the earlier version; %s: not in the later one.",
		m.From.Label(), m.To.Label(), flowCounts(m.Flows, total), newLabel, goneLabel)
	return Chart{ID: id, Kind: "flow", Title: title, Caption: caption, Body: template.HTML(b.String())}
}

// sankeyNodes are one side's nodes, in the segmentation's order.
func sankeyNodes(flows []store.Transition, pos func(string) int, left bool) []*sankeyNodeBox {
	totals := map[string]int64{}
	var names []string
	for _, f := range flows {
		seg := f.To
		if left {
			seg = f.From
		}
		if _, ok := totals[seg]; !ok {
			names = append(names, seg)
		}
		totals[seg] += f.Entities
	}
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(pos(a), pos(b)), cmp.Compare(a, b)) })
	out := make([]*sankeyNodeBox, len(names))
	for i, n := range names {
		out[i] = &sankeyNodeBox{segment: n, total: totals[n], position: i}
	}
	return out
}

func nodeOf(nodes []*sankeyNodeBox, seg string) *sankeyNodeBox {
	for _, n := range nodes {
		if n.segment == seg {
			return n
		}
	}
	panic("sankey: no node " + seg) // every flow's ends were made nodes by sankeyNodes
}

// nodeName is how a node is labelled: its segment, or whether no segment means new or gone.
func nodeName(seg string, left bool) string {
	switch {
	case seg != "":
		return seg
	case left:
		return newLabel
	}
	return goneLabel
}

// flowCounts says what the bands hold: in all, then apart, those that moved from one segment to another,
// those that entered (in no segment before) and those that exited (in none now); an entity new to a
// segmentation has not changed segment, so it is not counted with the moves.
func flowCounts(flows []store.Transition, total int64) string {
	var moved, entered, exited int64
	for _, f := range flows {
		switch {
		case f.From == f.To:
		case f.From == "":
			entered += f.Entities
		case f.To == "":
			exited += f.Entities
		default:
			moved += f.Entities
		}
	}
	return fmt.Sprintf("%s in all: %s moved between segments, %s entered, %s exited", thousands(total), thousands(moved), thousands(entered), thousands(exited))
}
