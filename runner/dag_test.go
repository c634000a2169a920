package runner

import (
	"reflect"
	"strings"
	"testing"
)

func graph(names string, edges ...string) *Graph {
	g := NewGraph()
	for _, n := range strings.Fields(names) {
		g.Add(n)
	}
	for _, e := range edges {
		from, to, _ := strings.Cut(e, "->")
		g.Connect(from, to)
	}
	return g
}

func TestGraphOrderAndCycles(t *testing.T) {
	tests := []struct {
		name   string
		g      *Graph
		order  []string
		cycles [][]string
	}{
		{"empty", graph(""), nil, nil},
		{"chain", graph("orders rfm lifecycle", "orders->rfm", "rfm->lifecycle"),
			[]string{"orders", "rfm", "lifecycle"}, nil},
		{"declaration order wins among ready steps", graph("c b a"), []string{"c", "b", "a"}, nil},
		{"reads before readers whatever the declaration order", graph("lifecycle rfm orders", "orders->rfm", "rfm->lifecycle"),
			[]string{"orders", "rfm", "lifecycle"}, nil},
		{"diamond", graph("orders customers rfm aov joined", "orders->rfm", "orders->aov", "rfm->joined", "aov->joined", "customers->joined"),
			[]string{"orders", "customers", "rfm", "aov", "joined"}, nil},
		{"self loop", graph("orders rfm", "orders->rfm", "rfm->rfm"),
			[]string{"orders"}, [][]string{{"rfm", "rfm"}}},
		{"three-cycle named from its first step", graph("orders a b c", "orders->a", "a->b", "b->c", "c->a"),
			[]string{"orders"}, [][]string{{"a", "b", "c", "a"}}},
		{"two separate cycles", graph("a b c d", "a->b", "b->a", "c->d", "d->c"),
			nil, [][]string{{"a", "b", "a"}, {"c", "d", "c"}}},
		{"steps after a cycle are left out of the order", graph("a b c", "a->b", "b->a", "b->c"),
			nil, [][]string{{"a", "b", "a"}}},
		{"knot reported once with its shortest loop", graph("a b c", "a->b", "b->a", "b->c", "c->a"),
			nil, [][]string{{"a", "b", "a"}}},
		{"duplicate edges are one edge", graph("a b", "a->b", "a->b"), []string{"a", "b"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Order(); !reflect.DeepEqual(got, tt.order) {
				t.Errorf("Order() = %v, want %v", got, tt.order)
			}
			if got := tt.g.Cycles(); !reflect.DeepEqual(got, tt.cycles) {
				t.Errorf("Cycles() = %v, want %v", got, tt.cycles)
			}
		})
	}
}

func TestGraphNeighbours(t *testing.T) {
	g := graph("orders customers rfm lifecycle unused", "orders->rfm", "customers->rfm", "rfm->lifecycle")
	if got := g.Deps("rfm"); !reflect.DeepEqual(got, []string{"orders", "customers"}) {
		t.Errorf("Deps(rfm) = %v", got)
	}
	if got := g.Dependents("rfm"); !reflect.DeepEqual(got, []string{"lifecycle"}) {
		t.Errorf("Dependents(rfm) = %v", got)
	}
	if got := g.Upstream("lifecycle"); !reflect.DeepEqual(got, []string{"orders", "customers", "rfm"}) {
		t.Errorf("Upstream(lifecycle) = %v", got)
	}
	if g.Deps("missing") != nil || g.Has("missing") {
		t.Error("a missing step has no neighbours")
	}
	// Connecting unknown steps is ignored rather than creating them: references are checked elsewhere.
	g.Connect("nope", "rfm")
	if got := g.Deps("rfm"); len(got) != 2 {
		t.Errorf("Connect with an unknown step changed the graph: %v", got)
	}
}

func TestFormatCycle(t *testing.T) {
	if got := FormatCycle([]string{"a", "b", "a"}); got != "a -> b -> a" {
		t.Errorf("got %q", got)
	}
}
