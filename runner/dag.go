package runner

import (
	"container/heap"
	"slices"
	"strings"
)

// Graph is a small directed graph of named steps where an edge a -> b means b reads a. Steps keep the order
// they were added in (the spec's order), and every result is deterministic in that order: the same spec
// always gives the same plan and the same cycle message.
type Graph struct {
	names []string
	index map[string]int
	deps  [][]int // deps[i]: the steps step i reads, in the order the edges were added
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{index: map[string]int{}} }

// Add adds a step; adding an existing name does nothing.
func (g *Graph) Add(name string) {
	if _, ok := g.index[name]; ok {
		return
	}
	g.index[name] = len(g.names)
	g.names = append(g.names, name)
	g.deps = append(g.deps, nil)
}

// Has reports whether the graph has a step.
func (g *Graph) Has(name string) bool { _, ok := g.index[name]; return ok }

// Connect records that to reads from; both must have been added. Duplicate edges are ignored.
func (g *Graph) Connect(from, to string) {
	f, okf := g.index[from]
	t, okt := g.index[to]
	if !okf || !okt || slices.Contains(g.deps[t], f) {
		return
	}
	g.deps[t] = append(g.deps[t], f)
}

// Deps lists the steps a step reads, in the order the edges were added.
func (g *Graph) Deps(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	out := make([]string, len(g.deps[i]))
	for j, d := range g.deps[i] {
		out[j] = g.names[d]
	}
	return out
}

// Dependents lists the steps that read a step, in step order.
func (g *Graph) Dependents(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	var out []string
	for j, ds := range g.deps {
		if slices.Contains(ds, i) {
			out = append(out, g.names[j])
		}
	}
	return out
}

// Upstream lists every step name reads, directly or not, in step order.
func (g *Graph) Upstream(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	seen := make([]bool, len(g.names))
	var visit func(int)
	visit = func(n int) {
		for _, d := range g.deps[n] {
			if !seen[d] {
				seen[d] = true
				visit(d)
			}
		}
	}
	visit(i)
	var out []string
	for j, s := range seen {
		if s {
			out = append(out, g.names[j])
		}
	}
	return out
}

// Order returns the steps in an order where every step comes after the steps it reads; among the steps
// ready at any point, the earliest added goes first. Steps on or after a cycle are left out; Cycles names
// them.
func (g *Graph) Order() []string {
	indeg := make([]int, len(g.names))
	users := make([][]int, len(g.names))
	for t, ds := range g.deps {
		indeg[t] = len(ds)
		for _, f := range ds {
			users[f] = append(users[f], t)
		}
	}
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			heap.Push(ready, i)
		}
	}
	var out []string
	for ready.Len() > 0 {
		n := heap.Pop(ready).(int)
		out = append(out, g.names[n])
		for _, u := range users[n] {
			if indeg[u]--; indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	return out
}

// Cycles returns each cycle as the path of steps around it, starting and ending at its earliest-added
// step: [a b c a] for a -> b -> c -> a. One path is given per strongly connected component, found with
// Tarjan's algorithm, so a knot of several cycles is reported once.
func (g *Graph) Cycles() [][]string {
	var cycles [][]string
	for _, scc := range g.components() {
		if len(scc) == 1 && !slices.Contains(g.deps[scc[0]], scc[0]) {
			continue
		}
		slices.Sort(scc)
		cycles = append(cycles, g.cyclePath(scc))
	}
	slices.SortFunc(cycles, func(a, b []string) int { return g.index[a[0]] - g.index[b[0]] })
	return cycles
}

// cyclePath walks from the component's first step along edges in data-flow direction (from a step to a
// reader of it) inside the component, taking the earliest-added reader each time, until it returns.
func (g *Graph) cyclePath(scc []int) []string {
	in := map[int]bool{}
	for _, n := range scc {
		in[n] = true
	}
	start := scc[0]
	// Breadth-first search for the shortest way back to start, preferring earlier steps: short paths make
	// readable messages.
	prev := map[int]int{}
	queue := []int{start}
	visited := map[int]bool{start: true}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for u := range g.names {
			if !in[u] || !slices.Contains(g.deps[u], n) {
				continue
			}
			if u == start {
				path := []string{g.names[start]}
				for c := n; c != start; c = prev[c] {
					path = append(path, g.names[c])
				}
				slices.Reverse(path[1:])
				return append(path, g.names[start])
			}
			if !visited[u] {
				visited[u] = true
				prev[u] = n
				queue = append(queue, u)
			}
		}
	}
	return []string{g.names[start], g.names[start]}
}

func (g *Graph) components() [][]int {
	index := make([]int, len(g.names))
	low := make([]int, len(g.names))
	onStack := make([]bool, len(g.names))
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var strong func(v int)
	strong = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range g.deps[v] {
			if index[w] < 0 {
				strong(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var scc []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for v := range g.names {
		if index[v] < 0 {
			strong(v)
		}
	}
	return out
}

// FormatCycle writes a cycle path as "a -> b -> a".
func FormatCycle(path []string) string { return strings.Join(path, " -> ") }

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
