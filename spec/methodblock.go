package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/schema"
)

// MethodBlock is a segmentation method's block in a spec: the key under the segmentation that selects
// the method, and the JSON Schema of its value.
type MethodBlock struct {
	// Name is the key: "rules", "rfm", "cluster", or a registered method's key such as "first_letter".
	Name string
	// Schema is the block's JSON Schema; nil for the built-in blocks, whose shape
	// schema/pipeline.schema.json holds (the single source for them). Its "#/..." references resolve
	// against the pipeline schema, so a block may use "#/$defs/identifier".
	Schema json.RawMessage
}

// methodBlock is a registry entry: the block, whether a segmentation has it, and the checks of it that
// need no database (false: nothing more to check in this segmentation).
type methodBlock struct {
	MethodBlock
	present func(*Segmentation) bool
	check   func(c *checker, name, base string, seg Segmentation) bool
}

// methodBlocks is the registry of segmentation method blocks, in increasing precedence
// (Segmentation.Method): the built-in ones first (check.go), then those registered, in the order they
// were. Loads may run concurrently with each other (and, in tests, with a registration), hence the lock.
var methodBlocks struct {
	sync.RWMutex
	list []methodBlock
	// compiled is the schema with every registered block's fragment merged in; nil when a block has
	// registered since it was compiled.
	compiled *compiledSchema
}

type compiledSchema struct {
	schema.Compiled
	err error
}

// RegisterMethodBlock adds a segmentation method's block to the spec: a segmentation with this key is
// that method, its value is validated against b.Schema (errors at the block's own lines), and the
// segmentation checks that apply to every method (from, names, min_size) apply to it; the method's own
// checks are the method's. It panics when the name is taken (a built-in block, another registered one,
// or any key a segmentation has) or the schema is missing or not JSON: these are programming errors, to
// be found by the first test. Call it from init() or a test.
func RegisterMethodBlock(b MethodBlock) {
	if b.Name == "" {
		panic("spec.RegisterMethodBlock: a method block needs a name")
	}
	if len(b.Schema) == 0 {
		panic(fmt.Sprintf("spec.RegisterMethodBlock(%q): a registered block needs its JSON Schema; only the built-in blocks take their shape from pipeline.schema.json", b.Name))
	}
	if !json.Valid(b.Schema) {
		panic(fmt.Sprintf("spec.RegisterMethodBlock(%q): its schema is not JSON", b.Name))
	}
	methodBlocks.Lock()
	defer methodBlocks.Unlock()
	if slices.ContainsFunc(methodBlocks.list, func(e methodBlock) bool { return e.Name == b.Name }) {
		panic(fmt.Sprintf("spec.RegisterMethodBlock(%q): a method block of that name is already registered", b.Name))
	}
	if slices.Contains(schema.SegmentationKeys(), b.Name) {
		panic(fmt.Sprintf("spec.RegisterMethodBlock(%q): a segmentation already has a key of that name", b.Name))
	}
	b.Schema = slices.Clone(b.Schema)
	name := b.Name
	methodBlocks.list = append(methodBlocks.list, methodBlock{
		MethodBlock: b,
		present:     func(s *Segmentation) bool { return s.blocks[name] != nil },
		check:       (*checker).registeredSegmentation,
	})
	methodBlocks.compiled = nil
}

// MethodBlocks lists the method blocks in increasing precedence, the built-in ones first.
func MethodBlocks() []MethodBlock {
	list := methodBlockList()
	out := make([]MethodBlock, len(list))
	for i, b := range list {
		out[i] = b.MethodBlock
	}
	return out
}

// methodBlockList is a snapshot of the registry.
func methodBlockList() []methodBlock {
	methodBlocks.RLock()
	defer methodBlocks.RUnlock()
	return methodBlocks.list
}

func methodBlockNamed(name string) methodBlock {
	list := methodBlockList()
	return list[slices.IndexFunc(list, func(b methodBlock) bool { return b.Name == name })]
}

// registeredBlock reports whether name is a block registered with a schema (not a built-in one).
func registeredBlock(name string) bool {
	return slices.ContainsFunc(methodBlockList(), func(b methodBlock) bool { return b.Name == name && b.Schema != nil })
}

// pipelineSchema is the schema every spec is validated against: the embedded one with the registered
// blocks merged into a segmentation's properties. It is compiled on first use after a registration
// (milliseconds) and shared after that.
func pipelineSchema() compiledSchema {
	methodBlocks.RLock()
	c := methodBlocks.compiled
	methodBlocks.RUnlock()
	if c != nil {
		return *c
	}
	methodBlocks.Lock()
	defer methodBlocks.Unlock()
	if methodBlocks.compiled == nil {
		fragments := map[string]json.RawMessage{}
		for _, b := range methodBlocks.list {
			if b.Schema != nil {
				fragments[b.Name] = b.Schema
			}
		}
		compiled, err := schema.WithMethodBlocks(fragments)
		methodBlocks.compiled = &compiledSchema{compiled, err}
	}
	return *methodBlocks.compiled
}

// Block returns a registered method block's YAML as written (decode it with node.Decode; its Line and
// Column place diagnostics), and whether the segmentation has it. The built-in blocks are the typed
// fields (Rules, RFM, Cluster) instead.
func (s *Segmentation) Block(name string) (*yaml.Node, bool) {
	n, ok := s.blocks[name]
	return n, ok
}

// UnmarshalYAML decodes the typed fields and keeps each registered block's node.
func (s *Segmentation) UnmarshalYAML(n *yaml.Node) error {
	type typed Segmentation // the same fields without this method, so Decode does not recurse
	var t typed
	err := n.Decode(&t)
	*s = Segmentation(t)
	if m := deref(n); m != nil && m.Kind == yaml.MappingNode {
		for _, p := range pairs(m) {
			if key := deref(p[0]); key.Kind == yaml.ScalarNode && registeredBlock(key.Value) {
				if s.blocks == nil {
					s.blocks = map[string]*yaml.Node{}
				}
				s.blocks[key.Value] = deref(p[1])
			}
		}
	}
	return err
}
