package schema

import "testing"

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
