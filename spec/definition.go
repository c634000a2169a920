package spec

import (
	"encoding/json"
	"fmt"
)

// metadataKeys are a segmentation's keys that never change its memberships: what it and its segments
// mean and who owns them, what its profiles describe, and min_size, a check on the result rather than a
// part of it. A rule's own description is left out too. Every other key (from, the method block, rules'
// segment and when, else, multi, and any registered method's block) is its definition.
var metadataKeys = []string{"description", "owner", "segments", "profile", "min_size"}

// DefinitionJSON is a segmentation's definition as canonical JSON (keys sorted, as written otherwise):
// its block in the spec without metadataKeys. Two specs whose segmentation differs only in metadata,
// comments or layout give the same text.
func (s *Spec) DefinitionJSON(segmentation string) ([]byte, error) {
	_, node := s.Doc.lookup(StepPointer("segmentation", segmentation))
	if node == nil {
		return nil, fmt.Errorf("no segmentation %q", segmentation)
	}
	var v any
	if err := node.Decode(&v); err != nil {
		return nil, err
	}
	m, ok := canonical(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("segmentation %q is not a mapping", segmentation)
	}
	for _, k := range metadataKeys {
		delete(m, k)
	}
	if rules, ok := m["rules"].([]any); ok {
		for _, r := range rules {
			if rm, ok := r.(map[string]any); ok {
				delete(rm, "description")
			}
		}
	}
	return json.Marshal(m)
}

// canonical turns YAML's decoded values into JSON's: mappings with keys that are not strings (names:
// {0: loyal}) get their keys as text.
func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonical(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = canonical(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = canonical(e)
		}
		return x
	}
	return v
}
