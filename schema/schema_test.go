package schema

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

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

// A method block registered outside the schema is merged into a segmentation's properties: its value is
// validated against its own schema, which may refer to the pipeline's $defs, and the keys it does not
// allow stay unknown.
func TestWithMethodBlocks(t *testing.T) {
	c, err := WithMethodBlocks(map[string]json.RawMessage{"first_letter": json.RawMessage(
		`{"type":"object","properties":{"column":{"$ref":"#/$defs/identifier"}},"required":["column"],"additionalProperties":false}`)})
	if err != nil {
		t.Fatal(err)
	}
	spec := func(block string) any {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":1,"name":"shop","entity":"id",
			"sources":{"customers":{"path":"c.csv"}},"segmentations":{"initials":{"from":"customers",` + block + `}}}`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if err := c.Schema.Validate(spec(`"first_letter":{"column":"name"}`)); err != nil {
		t.Errorf("a right block: %v", err)
	}
	for _, wrong := range []string{`"first_letter":{"column":"Name"}`, `"first_letter":{}`, `"first_letter":{"column":"name","x":1}`, `"second_letter":{"column":"name"}`} {
		if err := c.Schema.Validate(spec(wrong)); err == nil {
			t.Errorf("%s: valid", wrong)
		}
	}
	props := c.Doc["$defs"].(map[string]any)["segmentation"].(map[string]any)["properties"].(map[string]any)
	if _, ok := props["first_letter"]; !ok {
		t.Error("the compiled document has no first_letter property")
	}
	base, _ := WithMethodBlocks(nil)
	if _, ok := base.Doc["$defs"].(map[string]any)["segmentation"].(map[string]any)["properties"].(map[string]any)["first_letter"]; ok {
		t.Error("merging a block changed the base schema's document")
	}
	if base.Schema.Validate(spec(`"first_letter":{"column":"name"}`)) == nil {
		t.Error("without blocks, first_letter is accepted")
	}
}

func TestWithMethodBlocksRefusesMistakes(t *testing.T) {
	for name, fragment := range map[string]string{"from": `{"type":"string"}`, "bad_json": `{"type":`, "bad_schema": `{"type":5}`} {
		if _, err := WithMethodBlocks(map[string]json.RawMessage{name: json.RawMessage(fragment)}); err == nil {
			t.Errorf("%s %s: no error", name, fragment)
		}
	}
}
