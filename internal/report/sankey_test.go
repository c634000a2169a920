package report

import (
	"cmp"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql/store"
)

// TestSankeyLayout holds the flow diagram's geometry to what a reader takes from it: a node is as tall as
// its entities (one scale for both sides), its bands fill it exactly, edge to edge, without overlapping,
// nodes do not overlap, segments are in the segmentation's order with no segment last, and the same
// moves give the same drawing.
func TestSankeyLayout(t *testing.T) {
	order := []string{"a", "b", "c"}
	moves := &Moves{Flows: []store.Transition{
		{From: "a", To: "a", Entities: 500}, {From: "a", To: "b", Entities: 120}, {From: "b", To: "b", Entities: 300},
		{From: "b", To: "c", Entities: 80}, {From: "c", To: "a", Entities: 40}, {From: "", To: "c", Entities: 200},
		{From: "c", To: "", Entities: 60}, {From: "c", To: "c", Entities: 100},
	}}
	l := layoutSankey(moves, order)
	names := func(nodes []*sankeyNodeBox) (out []string) {
		for _, n := range nodes {
			out = append(out, n.segment)
		}
		return out
	}
	if got := names(l.left); !reflect.DeepEqual(got, []string{"a", "b", "c", ""}) {
		t.Errorf("left nodes %q", got)
	}
	if got := names(l.right); !reflect.DeepEqual(got, []string{"a", "b", "c", ""}) {
		t.Errorf("right nodes %q", got)
	}
	perEntity := l.left[0].h / float64(l.left[0].total)
	for _, side := range [][]*sankeyNodeBox{l.left, l.right} {
		for i, n := range side {
			if math.Abs(n.h-float64(n.total)*perEntity) > 1e-9 {
				t.Errorf("node %q: height %g for %d entities, want %g", n.segment, n.h, n.total, float64(n.total)*perEntity)
			}
			if i > 0 && side[i-1].y+side[i-1].h > n.y {
				t.Errorf("nodes %q and %q overlap", side[i-1].segment, n.segment)
			}
			if n.y+n.h > l.height {
				t.Errorf("node %q ends at %g, below the drawing's %g", n.segment, n.y+n.h, l.height)
			}
		}
	}
	// Each node's bands, in the order they are stacked, tile it from top to bottom.
	for _, end := range []struct {
		side   []*sankeyNodeBox
		source bool
	}{{l.left, true}, {l.right, false}} {
		for _, n := range end.side {
			var spans [][2]float64
			for _, b := range l.bands {
				switch {
				case end.source && b.flow.From == n.segment:
					spans = append(spans, [2]float64{b.ys, b.h})
				case !end.source && b.flow.To == n.segment:
					spans = append(spans, [2]float64{b.yt, b.h})
				}
			}
			slices.SortFunc(spans, func(a, b [2]float64) int { return cmp.Compare(a[0], b[0]) })
			y := n.y
			for _, sp := range spans {
				if math.Abs(sp[0]-y) > 1e-9 {
					t.Errorf("node %q (source %v): a band starts at %g, want %g", n.segment, end.source, sp[0], y)
				}
				y = sp[0] + sp[1]
			}
			if math.Abs(y-(n.y+n.h)) > 1e-9 {
				t.Errorf("node %q (source %v): bands end at %g, the node at %g", n.segment, end.source, y, n.y+n.h)
			}
		}
	}
	// Out of a, the band to a is above the band to b (targets' order), so they do not cross.
	var toA, toB float64
	for _, b := range l.bands {
		if b.flow.From == "a" && b.flow.To == "a" {
			toA = b.ys
		}
		if b.flow.From == "a" && b.flow.To == "b" {
			toB = b.ys
		}
	}
	if !(toA < toB) {
		t.Errorf("out of a: the band to a at %g, to b at %g", toA, toB)
	}
	if again := layoutSankey(moves, order); !reflect.DeepEqual(again.bands, l.bands) || again.height != l.height {
		t.Error("the same moves laid out twice differ")
	}
}

// The flow's caption counts entities that entered (in no segment before) and exited apart from those
// that moved between segments: a new entity has not changed segment.
func TestSankeyCaptionSeparatesEnteredExitedMoved(t *testing.T) {
	s := &Segmentation{Name: "lifecycle", Order: []string{"a", "b", "c"}, Moves: &Moves{Flows: []store.Transition{
		{From: "a", To: "a", Entities: 500}, {From: "a", To: "b", Entities: 120}, {From: "b", To: "c", Entities: 80},
		{From: "", To: "c", Entities: 200}, {From: "c", To: "", Entities: 60}, {From: "c", To: "c", Entities: 100},
	}}}
	c := sankeyChart(s)
	want := "(1,060 in all: 200 moved between segments, 200 entered, 60 exited)"
	if !strings.Contains(c.Caption, want) {
		t.Errorf("caption %q, want it to say %q", c.Caption, want)
	}
}
