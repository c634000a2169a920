package runner

import (
	"strings"

	"github.com/segrun/segrun/spec"
)

// exportKind: writes a segmentation's memberships or change log to a file once the version is
// published (export.go); its plan node is "export:<path>", not a workspace table.
var exportKind = &stepKind{
	name: KindExport,
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		for _, ex := range c.s.Exports {
			node := exportNode(ex.Path)
			g.Add(node)
			if k := kindOf(c.s, ex.Segmentation); k == segmentationKind || k == audienceKind {
				g.Connect(ex.Segmentation, node)
			}
		}
		return nil
	},
	node: func(c *validator, st *Step, inputs map[string][]string) {
		var ex spec.Export
		for _, e := range c.s.Exports {
			if exportNode(e.Path) == st.node {
				ex = e
			}
		}
		st.Kind, st.Name, st.Inputs, st.Outputs = KindExport, ex.Path, []string{ex.Segmentation}, []string{ex.Path}
		st.Method = strings.TrimPrefix(strings.ToLower(extOf(ex.Path)), ".")
		if ex.Changes {
			st.Method += " (changes)"
		}
	},
	owns:     func(node string) bool { return strings.HasPrefix(node, "export:") },
	dotShape: "note",
	mermaid:  [2]string{"[/", "/]"},
}

func exportNode(path string) string { return "export:" + path }
