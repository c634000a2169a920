// Package schema holds the JSON Schema of segrun's pipeline spec: the single source of the spec's shape.
// Editors use it through the yaml-language-server comment, `segrun schema` prints it, and the spec loader
// validates every file against it before any semantic check.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed pipeline.schema.json
var pipelineJSON []byte

// URL is the schema's $id.
const URL = "https://segrun.dev/schema/pipeline.schema.json"

// JSON returns the schema document.
func JSON() []byte { return bytes.Clone(pipelineJSON) }

// Compiled is a compiled schema and the document it was compiled from, for tools that walk it
// (did-you-mean suggestions name the keys an object allows); both are shared, read them only.
type Compiled struct {
	Schema *jsonschema.Schema
	Doc    map[string]any
}

var compiled = sync.OnceValues(func() (Compiled, error) { return compile(nil) })

// Pipeline returns the compiled schema, compiled once per process.
func Pipeline() (*jsonschema.Schema, error) {
	c, err := compiled()
	return c.Schema, err
}

// WithMethodBlocks compiles the schema with blocks (a segmentation method's key -> the JSON Schema of its
// value) added to the properties a segmentation may have, so that a method registered outside this file
// is validated like the built-in ones, errors at the block's own keys. A fragment's "#/..." references
// resolve against the pipeline schema (a fragment may use "#/$defs/identifier"). Without blocks it is
// Pipeline's schema, compiled once; each call with blocks compiles afresh (milliseconds), so callers cache
// the result until the blocks change.
func WithMethodBlocks(blocks map[string]json.RawMessage) (Compiled, error) {
	if len(blocks) == 0 {
		return compiled()
	}
	return compile(blocks)
}

func compile(blocks map[string]json.RawMessage) (Compiled, error) {
	// A fresh document each time: the compiler keeps the values it was given, so one compiled schema's
	// document is never changed by another's blocks.
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(pipelineJSON))
	if err != nil {
		return Compiled{}, fmt.Errorf("embedded schema: %w", err)
	}
	doc := v.(map[string]any)
	if len(blocks) > 0 {
		props := doc["$defs"].(map[string]any)["segmentation"].(map[string]any)["properties"].(map[string]any)
		names := make([]string, 0, len(blocks))
		for name := range blocks {
			names = append(names, name)
		}
		sort.Strings(names) // the same error for the same blocks, whatever the map's order
		for _, name := range names {
			if _, taken := props[name]; taken {
				return Compiled{}, fmt.Errorf("method block %q: a segmentation already has a key %q", name, name)
			}
			fragment, err := jsonschema.UnmarshalJSON(bytes.NewReader(blocks[name]))
			if err != nil {
				return Compiled{}, fmt.Errorf("method block %q: its schema is not JSON: %w", name, err)
			}
			props[name] = fragment
		}
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(URL, doc); err != nil {
		return Compiled{}, fmt.Errorf("schema: %w", err)
	}
	sch, err := c.Compile(URL)
	if err != nil {
		return Compiled{}, fmt.Errorf("schema: %w", err)
	}
	return Compiled{Schema: sch, Doc: doc}, nil
}

// Raw returns the schema decoded as generic JSON, for tools that walk it (did-you-mean suggestions, the
// documentation test).
func Raw() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(pipelineJSON, &m); err != nil {
		panic("embedded schema is not JSON: " + err.Error()) // caught by the package's tests
	}
	return m
}

// SegmentationKeys are the keys the schema lets a segmentation have, sorted: a method block registered
// outside the schema must not take one of them.
func SegmentationKeys() []string {
	props := Raw()["$defs"].(map[string]any)["segmentation"].(map[string]any)["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AuditKinds are the audit kinds the schema declares (an audit's keys but severity), sorted: the runner's
// registry of audit kinds must be the same (a test holds them together).
func AuditKinds() []string {
	props := Raw()["$defs"].(map[string]any)["audit"].(map[string]any)["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		if k != "severity" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
