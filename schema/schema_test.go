package schema

import (
	"slices"
	"sort"
	"testing"

	"github.com/segrun/segrun/algorithms"
)

func TestSchemaCompiles(t *testing.T) {
	if _, err := Pipeline(); err != nil {
		t.Fatal(err)
	}
	if Raw()["$id"] != URL {
		t.Fatalf("$id is %v, want %s", Raw()["$id"], URL)
	}
}

// Every property must say what it is: the description is what editors show on hover and what the docs test
// holds docs/spec.md to.
func TestEveryPropertyHasADescription(t *testing.T) {
	raw := Raw()
	defs := raw["$defs"].(map[string]any)
	var walk func(path string, node map[string]any)
	walk = func(path string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pm := p.(map[string]any)
			if _, ok := pm["description"]; !ok {
				ref, _ := pm["$ref"].(string)
				target, _ := defs[trimDefs(ref)].(map[string]any)
				if target == nil || target["description"] == nil {
					t.Errorf("%s/%s has no description", path, name)
				}
			}
			walk(path+"/"+name, pm)
		}
		for _, key := range []string{"anyOf", "oneOf"} {
			if alts, ok := node[key].([]any); ok {
				for _, a := range alts {
					walk(path, a.(map[string]any))
				}
			}
		}
	}
	walk("", raw)
	for name, d := range defs {
		walk("$defs/"+name, d.(map[string]any))
	}
}

func trimDefs(ref string) string {
	const prefix = "#/$defs/"
	if len(ref) > len(prefix) && ref[:len(prefix)] == prefix {
		return ref[len(prefix):]
	}
	return ""
}

// The schema's clustering methods are the fitter registry's: a method registered in algorithms but missing
// from the schema could never be written in a spec, and one the schema lists without a fitter would pass
// validation's shape check only to fail later.
func TestSchemaClusterMethodsAreTheRegistrys(t *testing.T) {
	defs := Raw()["$defs"].(map[string]any)
	method := defs["cluster"].(map[string]any)["properties"].(map[string]any)["method"].(map[string]any)
	var inSchema []string
	for _, m := range method["enum"].([]any) {
		inSchema = append(inSchema, m.(string))
	}
	sort.Strings(inSchema)
	if registered := algorithms.Methods(); !slices.Equal(inSchema, registered) {
		t.Errorf("schema's cluster methods %v, registry's %v", inSchema, registered)
	}
}
