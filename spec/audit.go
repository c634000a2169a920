package spec

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/schema"
)

// Audit is one check of a segmentation's version against the previous version, declared like a data
// test: a one-key mapping naming its kind (size, drift, stability; the schema's audit definition lists
// them) plus an optional severity. The kind's parameters are kept as written (Params, positions intact)
// and decoded by the runner's audit kind, so a new kind needs no field here.
type Audit struct {
	// Kind is the audit's key; Kinds every key given but severity, for the check that there is one.
	Kind  string
	Kinds []string
	// Params is the value under Kind.
	Params *yaml.Node
	// Severity is "error" (the default, as with data tests: the run stops before publishing) or "warn".
	Severity string
}

// Warns says whether a failing audit only warns.
func (a Audit) Warns() bool { return a.Severity == "warn" }

// UnmarshalYAML reads a one-key audit mapping plus an optional severity.
func (a *Audit) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: an audit is a mapping", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i].Value, n.Content[i+1]
		if key == "severity" {
			a.Severity = deref(val).Value
			continue
		}
		a.Kinds = append(a.Kinds, key)
		a.Kind, a.Params = key, val
	}
	return nil
}

// audits checks that each of a segmentation's audits has exactly one kind; the kinds' parameters are
// checked by the schema and, against the input's columns, by the runner.
func (c *checker) audits(base string, seg Segmentation) {
	for i, a := range seg.Audits {
		path := fmt.Sprintf("%s/audits/%d", base, i)
		if c.s.IsBroken(path) {
			continue
		}
		switch len(a.Kinds) {
		case 0:
			c.errorAt(path, "audit.kind", "an audit needs one of "+strings.Join(schema.AuditKinds(), ", "), "")
		case 1:
		default:
			c.errorAt(path, "audit.kind", fmt.Sprintf("an audit has exactly one kind; this one has %s: write one list item per audit", strings.Join(a.Kinds, " and ")), "")
		}
	}
}
