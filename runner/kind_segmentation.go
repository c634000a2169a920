package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// segmentationKind: assigns each entity of its input (from:) a segment by a method (rules, rfm, a
// clustering). Checking and running it are the method registry's (typeSegmentation, runSegmentation);
// its result stays in the workspace for publishing.
var segmentationKind = &stepKind{
	name:  KindSegmentation,
	steps: specSteps(KindSegmentation),
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		for _, e := range c.s.Segmentations {
			if isStep(c.s, e.Value.From) {
				g.Connect(e.Value.From, e.Key)
				inputs[e.Key] = []string{e.Value.From}
			}
		}
		connectSearchKPIs(c, g, inputs)
		return nil
	},
	broken: segmentationBroken,
	columns: func(c *validator, name, path string) ([]sql.Column, error) {
		return c.typeSegmentation(name, path)
	},
	node: func(c *validator, st *Step, inputs map[string][]string) {
		seg, _ := c.s.Segmentations.Get(st.node)
		st.Kind, st.Method, st.Inputs = KindSegmentation, methodLabel(seg), inputs[st.node]
		st.Pointer = spec.StepPointer(KindSegmentation, st.node)
	},
	dotShape: "hexagon",
	mermaid:  [2]string{"{{", "}}"},
	run: func(e *execution, ctx context.Context, name string) (int64, error) {
		return e.runSegmentation(ctx, name)
	},
	kept: true,
	uses: true,
}

// segmentationBroken says whether a segmentation's shape errors make typing it meaningless: a broken
// rule is skipped on its own, so the other rules are still checked.
func segmentationBroken(s *spec.Spec, path string) bool {
	if s.IsBroken(path) {
		return true
	}
	for _, part := range []string{"/from", "/cluster", "/rfm", "/else", "/multi"} {
		if s.BrokenWithin(path + part) {
			return true
		}
	}
	return false
}

// connectSearchKPIs makes a cluster search whose objective is a KPI's spread (objective: {kpi: NAME}) read
// the KPI's from table, which must therefore be computed before the segmentation: an unknown KPI, or one
// over the segmentation itself or a table computed from it (known by now through features and other
// segmentations; through a model, the graph's cycle check reports it), is an error at the objective.
func connectSearchKPIs(c *validator, g *Graph, inputs map[string][]string) {
	for _, e := range c.s.Segmentations {
		cl := e.Value.Cluster
		if cl == nil || cl.Search == nil || cl.Search.Objective.KPI == "" {
			continue
		}
		at := spec.StepPointer(KindSegmentation, e.Key) + "/cluster/search/objective/kpi"
		name := cl.Search.Objective.KPI
		k, ok := c.s.KPIs.Get(name)
		if !ok {
			sugg := spec.Nearest(name, c.s.KPIs.Keys())
			c.errorAt(at, "cluster.search", fmt.Sprintf("search objective: %q is not a KPI (kpis:)%s", name, suggestSuffix(sugg)), sugg)
			continue
		}
		if !isStep(c.s, k.From) {
			continue // the KPI's own check reports an unknown from
		}
		if k.From == e.Key || slices.Contains(g.Upstream(k.From), e.Key) {
			c.errorAt(at, "cluster.search", fmt.Sprintf("search objective: KPI %s is computed over %s, which reads this segmentation's result; the search needs a KPI over a table computed before %s (a source or a feature it does not feed)", name, k.From, e.Key), "")
			continue
		}
		g.Connect(k.From, e.Key)
		if !slices.Contains(inputs[e.Key], k.From) {
			inputs[e.Key] = append(inputs[e.Key], k.From)
		}
	}
}
