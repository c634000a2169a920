package runner

import (
	"testing"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/schema"
	"github.com/segrun/segrun/spec"
)

// Every registered segmentation method is a block the schema lets a segmentation have, and the spec picks
// that method when the block is there: a method registered without its block could never be selected.
func TestSegmentersAreSchemaBlocks(t *testing.T) {
	defs := schema.Raw()["$defs"].(map[string]any)
	props := defs["segmentation"].(map[string]any)["properties"].(map[string]any)
	blocks := map[string]spec.Segmentation{
		"rules":   {Rules: []spec.Rule{{Segment: "a", When: "true"}}},
		"rfm":     {RFM: &spec.RFM{}},
		"cluster": {Cluster: &spec.Cluster{Method: "kmeans"}},
	}
	for _, name := range methods.Names() {
		if _, ok := props[name]; !ok {
			t.Errorf("method %q has no block in the schema's segmentation", name)
		}
		seg, ok := blocks[name]
		if !ok {
			t.Errorf("method %q: add a segmentation with its block to this test", name)
			continue
		}
		if got := seg.Method(); got != name {
			t.Errorf("a segmentation with a %s block is method %q", name, got)
		}
		if methodLabel(seg) == "" {
			t.Errorf("method %q has no label", name)
		}
	}
}
