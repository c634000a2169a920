package runner

import (
	"context"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// stepKind is one kind of pipeline step (source, feature, segmentation, export; kpis, audiences, reports
// and models next): everything validation, the plan and execution do differently for it, in one value,
// one file each (kind_*.go). Nothing outside these files switches on a kind's name; adding a kind is
// writing its value and listing it in stepKinds (docs/development.md, "How to add a step kind").
type stepKind struct {
	// name is the kind as the plan, the reports and the spec's pointers (spec.StepPointer) say it.
	name string
	// steps lists the spec's steps of this kind in file order: the workspace tables the kind produces.
	// nil for a kind whose steps are not tables (exports, which are graph nodes of their own).
	steps func(s *spec.Spec) []string
	// connect adds the kind's edges to the graph, and nodes that are not tables; inputs collects, per
	// step, the tables it reads, in the order the plan shows them.
	connect func(c *validator, g *Graph, inputs map[string][]string) error
	// broken says whether the step at path has shape errors that make typing it meaningless.
	broken func(s *spec.Spec, path string) bool
	// columns derives the step's output columns without data (nil: unknown, the reason reported).
	columns func(c *validator, name, path string) ([]sql.Column, error)
	// typed checks what needs the step's columns once they are known (nil: nothing).
	typed func(c *validator, name, path string, cols []sql.Column)
	// node fills in the step's plan node: method, inputs, outputs.
	node func(c *validator, st *Step, inputs map[string][]string)
	// dotShape and mermaid ({open, close}) draw the step in `segrun plan`; filesIn says its inputs are
	// files, drawn in its label rather than as edges.
	dotShape string
	mermaid  [2]string
	filesIn  bool
	// run executes the step in the workspace and returns its rows; nil for steps run after publishing.
	run func(e *execution, ctx context.Context, name string) (int64, error)
	// kept says the step's table stays in the workspace after its readers ran (publishing reads it).
	kept bool
	// unusedWarned says validation warns about a step of this kind no segmentation reads.
	unusedWarned bool
	// owns says whether a graph node that is not a table is this kind's ("export:<path>", "kpi:<name>").
	owns func(node string) bool
	// typeNode checks such a node once the tables it reads are typed (nil: nothing to check).
	typeNode func(c *validator, node string)
	// uses says the kind's steps count as reading their inputs, for the unused-step warning.
	uses bool
	// progressDone sets the progress line's tail once the step ran (nil: its rows and seconds).
	progressDone func(e *execution, name string, rows int64, seconds float64) string
}

// stepKinds are the kinds, in the order their steps are listed, validated and named in messages. Set in
// init, because the kinds' functions themselves look kinds up.
var stepKinds []*stepKind

func init() {
	stepKinds = []*stepKind{sourceKind, featureKind, segmentationKind, exportKind, kpiKind, modelKind, audienceKind}
}

// kindNamed returns the kind called name, or nil.
func kindNamed(name string) *stepKind {
	for _, k := range stepKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// specSteps lists a kind's steps from the spec's own table of step maps (spec.StepMaps), so the spec map a
// kind reads is named in one place. A kind without a step map there is a mistake of segrun's, found at
// start.
func specSteps(kind string) func(*spec.Spec) []string {
	for _, m := range spec.StepMaps {
		if m.Kind == kind {
			return m.Names
		}
	}
	panic("step kind " + kind + " has no spec.StepMaps entry")
}

// tableKinds are the kinds whose steps are workspace tables.
func tableKinds() []*stepKind {
	var ks []*stepKind
	for _, k := range stepKinds {
		if k.steps != nil {
			ks = append(ks, k)
		}
	}
	return ks
}

// isStep says whether name is a step whose table others can read (a source, feature or segmentation).
func isStep(s *spec.Spec, name string) bool { return kindOf(s, name).steps != nil }
