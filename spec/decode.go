package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Map is a YAML mapping that keeps the order its keys were written in, so that plans, summaries and
// diagnostics follow the file rather than Go's random map order.
type Map[T any] []Entry[T]

// Entry is one key and value of a Map.
type Entry[T any] struct {
	Key   string
	Value T
}

// Get returns the value for key.
func (m Map[T]) Get(key string) (T, bool) {
	for _, e := range m {
		if e.Key == key {
			return e.Value, true
		}
	}
	var zero T
	return zero, false
}

// Keys lists the keys in file order.
func (m Map[T]) Keys() []string {
	keys := make([]string, len(m))
	for i, e := range m {
		keys[i] = e.Key
	}
	return keys
}

// UnmarshalYAML decodes every entry it can, so that one bad entry does not hide the others; the schema has
// already reported what is wrong with the bad one.
func (m *Map[T]) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	var firstErr error
	for _, p := range pairs(n) {
		var v T
		if err := p[1].Decode(&v); err != nil && firstErr == nil {
			firstErr = err
		}
		*m = append(*m, Entry[T]{Key: p[0].Value, Value: v})
	}
	return firstErr
}

// Fields returns the keys and values in file order; sql.Literal writes a Map this way as a struct whose
// fields keep the order the spec gave them.
func (m Map[T]) Fields() ([]string, []any) {
	values := make([]any, len(m))
	for i, e := range m {
		values[i] = e.Value
	}
	return m.Keys(), values
}

// Options are a source's reader options, by name. The order of the options themselves does not matter
// (they are named parameters), but the order within a value does: DuckDB reads read_csv's columns by
// position, so a mapping value is kept as a Map[any] in the order it was written, at every depth, and a
// list stays a list.
type Options map[string]any

// UnmarshalYAML decodes every option, keeping mapping values in file order.
func (o *Options) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	*o = Options{}
	var firstErr error
	for _, p := range pairs(n) {
		v, err := orderedValue(p[1])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		(*o)[p[0].Value] = v
	}
	return firstErr
}

// orderedValue decodes a YAML value as yaml.v3 decodes into any, except that mappings become Map[any] in
// file order.
func orderedValue(n *yaml.Node) (any, error) {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := Map[any]{}
		for _, p := range pairs(n) {
			v, err := orderedValue(p[1])
			if err != nil {
				return nil, err
			}
			m = append(m, Entry[any]{Key: p[0].Value, Value: v})
		}
		return m, nil
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := orderedValue(c)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, nil
	}
	var v any
	err := n.Decode(&v)
	return v, err
}

// Strings is one string or a list of them.
type Strings []string

// UnmarshalYAML accepts a scalar or a sequence.
func (s *Strings) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		*s = Strings{n.Value}
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*s = list
	return nil
}

// K is a fixed number of clusters, or a range to search.
type K struct {
	// Value is the fixed k; 0 when a range is given or k is omitted.
	Value int
	// Min, Max and By describe a search; By defaults to silhouette.
	Min, Max int
	By       string
}

// IsRange reports whether k is searched.
func (k K) IsRange() bool { return k.Max > 0 }

// IsSet reports whether the spec gave k at all.
func (k K) IsSet() bool { return k.Value > 0 || k.IsRange() }

// UnmarshalYAML accepts an integer or {min, max, by}.
func (k *K) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&k.Value)
	}
	var r struct {
		Min int    `yaml:"min"`
		Max int    `yaml:"max"`
		By  string `yaml:"by"`
	}
	if err := n.Decode(&r); err != nil {
		return err
	}
	k.Min, k.Max, k.By = r.Min, r.Max, r.By
	return nil
}

// TransformStep is one per-column transform: log1p, onehot, winsorize (default share), clip or winsorize
// with parameters.
type TransformStep struct {
	Kind string
	// Lower and Upper are the quantiles clipped to; winsorize p becomes Lower = p, Upper = 1 - p.
	Lower, Upper float64
}

// DefaultWinsorize is the share clipped on each side by a bare `winsorize`.
const DefaultWinsorize = 0.05

// TransformSteps are the transforms of one column, applied in order.
type TransformSteps []TransformStep

// UnmarshalYAML accepts one step or a list of steps.
func (ts *TransformSteps) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			var step TransformStep
			if err := step.UnmarshalYAML(c); err != nil {
				return err
			}
			*ts = append(*ts, step)
		}
		return nil
	}
	var step TransformStep
	if err := step.UnmarshalYAML(n); err != nil {
		return err
	}
	*ts = TransformSteps{step}
	return nil
}

// UnmarshalYAML accepts a name or a one-key mapping with parameters.
func (t *TransformStep) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		t.Kind = n.Value
		if t.Kind == "winsorize" {
			t.Lower, t.Upper = DefaultWinsorize, 1-DefaultWinsorize
		}
		return nil
	}
	var m struct {
		Clip      []float64 `yaml:"clip"`
		Winsorize *float64  `yaml:"winsorize"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	switch {
	case len(m.Clip) == 2:
		t.Kind, t.Lower, t.Upper = "clip", m.Clip[0], m.Clip[1]
	case m.Winsorize != nil:
		t.Kind, t.Lower, t.Upper = "winsorize", *m.Winsorize, 1-*m.Winsorize
	default:
		return fmt.Errorf("line %d: unknown transform", n.Line)
	}
	return nil
}

// Test is one data test on a feature's rows.
type Test struct {
	// Kind is unique, not_null, accepted_values, row_count, assert or relationships.
	Kind string
	// Columns are the tested columns (unique, not_null: several; the others: one).
	Columns []string
	// Values are accepted_values' list.
	Values []any
	// Min and Max bound row_count; nil when not given.
	Min, Max *int64
	// Expr is assert's SQL expression.
	Expr string
	// To and Field name the referenced table and column of relationships.
	To, Field string
	// Severity is "error" or "warn".
	Severity string
	// Kinds lists every test key given, for the check that there is exactly one.
	Kinds []string
}

// TestKinds are the test keys, in documentation order.
var TestKinds = []string{"unique", "not_null", "accepted_values", "row_count", "assert", "relationships"}

// UnmarshalYAML reads a one-key test mapping plus an optional severity.
func (t *Test) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Unique         Strings `yaml:"unique"`
		NotNull        Strings `yaml:"not_null"`
		AcceptedValues *struct {
			Column string `yaml:"column"`
			Values []any  `yaml:"values"`
		} `yaml:"accepted_values"`
		RowCount *struct {
			Min *int64 `yaml:"min"`
			Max *int64 `yaml:"max"`
		} `yaml:"row_count"`
		Assert        string `yaml:"assert"`
		Relationships *struct {
			Column string `yaml:"column"`
			To     string `yaml:"to"`
			Field  string `yaml:"field"`
		} `yaml:"relationships"`
		Severity string `yaml:"severity"`
	}
	err := n.Decode(&raw)
	t.Severity = raw.Severity
	if raw.Unique != nil {
		t.Kinds = append(t.Kinds, "unique")
		t.Kind, t.Columns = "unique", raw.Unique
	}
	if raw.NotNull != nil {
		t.Kinds = append(t.Kinds, "not_null")
		t.Kind, t.Columns = "not_null", raw.NotNull
	}
	if raw.AcceptedValues != nil {
		t.Kinds = append(t.Kinds, "accepted_values")
		t.Kind, t.Columns, t.Values = "accepted_values", []string{raw.AcceptedValues.Column}, raw.AcceptedValues.Values
	}
	if raw.RowCount != nil {
		t.Kinds = append(t.Kinds, "row_count")
		t.Kind, t.Min, t.Max = "row_count", raw.RowCount.Min, raw.RowCount.Max
	}
	if raw.Assert != "" {
		t.Kinds = append(t.Kinds, "assert")
		t.Kind, t.Expr = "assert", raw.Assert
	}
	if raw.Relationships != nil {
		t.Kinds = append(t.Kinds, "relationships")
		r := raw.Relationships
		t.Kind, t.Columns, t.To, t.Field = "relationships", []string{r.Column}, r.To, r.Field
	}
	return err
}
