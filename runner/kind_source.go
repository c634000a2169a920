package runner

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// sourceKind: files (CSV, Parquet, JSON) read into the workspace, loaded as a table or streamed into
// their one reader (source.go, stream.go), with their declared columns checked.
var sourceKind = &stepKind{
	name:    KindSource,
	steps:   specSteps(KindSource),
	connect: func(c *validator, g *Graph, inputs map[string][]string) error { return nil },
	broken:  func(s *spec.Spec, path string) bool { return s.BrokenWithin(path) },
	columns: func(c *validator, name, path string) ([]sql.Column, error) { return c.typeSource(name, path) },
	node: func(c *validator, st *Step, inputs map[string][]string) {
		src, _ := c.s.Sources.Get(st.node)
		st.Kind, st.Method, st.Inputs = KindSource, sourceFormat(src), src.Path
		st.Pointer = spec.StepPointer(KindSource, st.node)
	},
	dotShape: "cylinder",
	mermaid:  [2]string{"[(", ")]"},
	filesIn:  true,
	run:      func(e *execution, ctx context.Context, name string) (int64, error) { return e.loadSource(ctx, name) },
	progressDone: func(e *execution, name string, rows int64, seconds float64) string {
		if e.streamed[name] != nil {
			return " streamed into its reader\n"
		}
		return fmt.Sprintf(" %s in %.2fs\n", plural.Rows(rows), seconds)
	},
	unusedWarned: true,
}
