package spec

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// registerFirstLetter registers a toy method's block once per test binary (go test -count=2 runs each
// test twice, and a second registration panics, as it should).
var registerFirstLetter = sync.OnceFunc(func() {
	RegisterMethodBlock(MethodBlock{Name: "first_letter", Schema: json.RawMessage(
		`{"type":"object","properties":{"column":{"$ref":"#/$defs/identifier"},"upper":{"type":"boolean"}},"required":["column"],"additionalProperties":false}`)})
})

// firstLetterSpec is a spec whose segmentation "initials" has the lines given as its body (indented four
// spaces); the segmentation's keys start on line 8.
func firstLetterSpec(body ...string) []byte {
	return []byte(`version: 1
name: shop
entity: customer_id
sources:
  customers: {path: customers.csv}
segmentations:
  initials:
` + "    " + strings.Join(body, "\n    ") + "\n")
}

func TestRegisteredMethodBlockDecodes(t *testing.T) {
	registerFirstLetter()
	s, diags := Parse("shop.yaml", firstLetterSpec("from: customers", "first_letter:", "  column: name", "  upper: true"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	seg, _ := s.Segmentations.Get("initials")
	if got := seg.Method(); got != "first_letter" {
		t.Errorf("Method() = %q, want first_letter", got)
	}
	node, ok := seg.Block("first_letter")
	if !ok {
		t.Fatal("Block(first_letter): not there")
	}
	// The node is the document's own, so a method's diagnostics land on the block's lines.
	if node.Line != 10 || node.Column != 7 {
		t.Errorf("block node at %d:%d, want 10:7", node.Line, node.Column)
	}
	var block struct {
		Column string `yaml:"column"`
		Upper  bool   `yaml:"upper"`
	}
	if err := node.Decode(&block); err != nil || block.Column != "name" || !block.Upper {
		t.Errorf("decoded %+v, %v", block, err)
	}
	if _, ok := seg.Block("rules"); ok {
		t.Error("Block(rules): a built-in block is a typed field, not a node")
	}
	if seg.From != "customers" {
		t.Errorf("from = %q: the typed fields are decoded beside the block", seg.From)
	}
}

// A block written through a YAML merge key is the segmentation's like any other key.
func TestRegisteredMethodBlockThroughMergeKey(t *testing.T) {
	registerFirstLetter()
	src := firstLetterSpec("<<: {first_letter: {column: name}}", "from: customers")
	s, diags := Parse("shop.yaml", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	seg, _ := s.Segmentations.Get("initials")
	if node, ok := seg.Block("first_letter"); !ok || seg.Method() != "first_letter" || node.Line != 8 {
		t.Errorf("Block = %v, %v; Method = %q", node, ok, seg.Method())
	}
}

func TestRegisteredMethodBlockSchemaErrors(t *testing.T) {
	registerFirstLetter()
	cases := []struct {
		name string
		body []string
		want string // file:line:col code
	}{
		{"unknown key in the block", []string{"from: customers", "first_letter:", "  column: name", "  uper: true"},
			"shop.yaml:11:7 schema.unknown_key"},
		{"missing required key", []string{"from: customers", "first_letter: {upper: true}"},
			"shop.yaml:9:5 schema.required"},
		{"wrong type", []string{"from: customers", "first_letter:", "  column: name", "  upper: maybe"},
			"shop.yaml:11:14 schema.type"},
		{"not a mapping", []string{"from: customers", "first_letter: name"},
			"shop.yaml:9:19 schema.type"},
		{"a fragment's reference to the pipeline's $defs", []string{"from: customers", "first_letter: {column: Name}"},
			"shop.yaml:9:28 name.invalid"},
		{"an unregistered block is still unknown", []string{"from: customers", "first_letter: {column: name}", "second_letter: {column: name}"},
			"shop.yaml:10:5 schema.unknown_key"},
		{"the generic checks apply", []string{"from: customer", "first_letter: {column: name}"},
			"shop.yaml:8:11 ref.unknown"},
		{"one method per segmentation", []string{"from: customers", "first_letter: {column: name}", "rfm: {recency: r, frequency: f, monetary: m}"},
			"shop.yaml:10:5 segmentation.method"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := Parse("shop.yaml", firstLetterSpec(c.body...))
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%s:%d:%d %s", d.File, d.Line, d.Column, d.Code))
			}
			if len(diags) != 1 || got[0] != c.want {
				t.Errorf("got %v, want [%s]\n%v", got, c.want, diags)
			}
		})
	}
}

// The did-you-mean of an unknown key knows the registered blocks, and a block's own keys.
func TestRegisteredMethodBlockSuggestions(t *testing.T) {
	registerFirstLetter()
	for body, want := range map[string]string{
		"first_leter: {column: name}":  "first_letter",
		"first_letter: {colunm: name}": "column",
	} {
		_, diags := Parse("shop.yaml", firstLetterSpec("from: customers", body))
		found := false
		for _, d := range diags {
			found = found || d.Code == "schema.unknown_key" && d.Suggestion == want
		}
		if !found {
			t.Errorf("%s: got %v, want an unknown key suggesting %q", body, diags, want)
		}
	}
}

func TestMethodBlocksListsBuiltInsThenRegistered(t *testing.T) {
	registerFirstLetter()
	var names []string
	for _, b := range MethodBlocks() {
		names = append(names, b.Name)
		if (b.Schema == nil) != (b.Name == "rules" || b.Name == "rfm" || b.Name == "cluster") {
			t.Errorf("%s: Schema %s; only the built-in blocks have none", b.Name, b.Schema)
		}
	}
	if got := strings.Join(names, ","); !strings.HasPrefix(got, "rules,rfm,cluster,") || !strings.Contains(got, "first_letter") {
		t.Errorf("MethodBlocks() = %s", got)
	}
}

func TestRegisterMethodBlockRefusesMistakes(t *testing.T) {
	registerFirstLetter()
	schema := json.RawMessage(`{"type":"object"}`)
	for _, b := range []MethodBlock{
		{Name: "first_letter", Schema: schema}, // registered already
		{Name: "cluster", Schema: schema},      // a built-in block
		{Name: "from", Schema: schema},         // a segmentation's own key
		{Name: "no_schema"},
		{Name: "bad_schema", Schema: json.RawMessage(`{"type":`)},
		{Schema: schema},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterMethodBlock(%q, %s) did not panic", b.Name, b.Schema)
				}
			}()
			RegisterMethodBlock(b)
		}()
	}
}

var registerConcurrentToy = sync.OnceFunc(func() {
	RegisterMethodBlock(MethodBlock{Name: "concurrent_toy", Schema: json.RawMessage(`{"type":"object"}`)})
})

// Loads run concurrently (the runner validates several specs in tests, a server might too) and may meet a
// registration: the schema is recompiled once, under the registry's lock. Meaningful under -race.
func TestMethodBlockRegistrationDuringLoads(t *testing.T) {
	registerFirstLetter()
	src := firstLetterSpec("from: customers", "first_letter: {column: name}")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, diags := Parse("shop.yaml", src); diags.HasErrors() {
				t.Error(diags)
			}
			if i == 2 {
				registerConcurrentToy()
			}
		}()
	}
	wg.Wait()
	s, diags := Parse("shop.yaml", firstLetterSpec("from: customers", "concurrent_toy: {}"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if seg, _ := s.Segmentations.Get("initials"); seg.Method() != "concurrent_toy" {
		t.Errorf("Method() = %q after a registration", seg.Method())
	}
}
