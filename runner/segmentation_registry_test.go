package runner

import (
	"testing"

	"gopkg.in/yaml.v3"

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
	registered := map[string]bool{}
	for _, b := range spec.MethodBlocks() {
		registered[b.Name] = b.Schema != nil
	}
	for _, name := range methods.Names() {
		if _, ok := props[name]; !ok && !registered[name] {
			t.Errorf("method %q has no block in the schema's segmentation, nor a registered one", name)
		}
		seg, ok := blocks[name]
		if !ok && registered[name] { // a registered block is kept as written: decode one
			ok = yaml.Unmarshal([]byte("{from: x, "+name+": {}}"), &seg) == nil
		}
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
