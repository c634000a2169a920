// Package schema holds the JSON Schema of segrun's pipeline spec: the single source of the spec's shape.
// Editors use it through the yaml-language-server comment, `segrun schema` prints it, and the spec loader
// validates every file against it before any semantic check.
package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed pipeline.schema.json
var pipelineJSON []byte

// URL is the schema's $id.
const URL = "https://segrun.dev/schema/pipeline.schema.json"

// JSON returns the schema document.
func JSON() []byte { return bytes.Clone(pipelineJSON) }

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(pipelineJSON))
	if err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(URL, doc); err != nil {
		return nil, fmt.Errorf("embedded schema: %w", err)
	}
	return c.Compile(URL)
})

// Pipeline returns the compiled schema, compiled once per process.
func Pipeline() (*jsonschema.Schema, error) { return compiled() }

// Raw returns the schema decoded as generic JSON, for tools that walk it (did-you-mean suggestions, the
// documentation test).
func Raw() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(pipelineJSON, &m); err != nil {
		panic("embedded schema is not JSON: " + err.Error()) // caught by the package's tests
	}
	return m
}
