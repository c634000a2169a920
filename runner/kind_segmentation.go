package runner

import (
	"context"

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
