package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// duplicateKeys reports every mapping key written twice in the same mapping. yaml.v3 keeps both in its
// node tree and refuses them only when decoding into a struct, where the whole element is lost: a source
// with `path:` twice decoded to no path at all, and `options: {header: true, header: false}` silently
// kept the last. A duplicate is a mistake wherever it stands, so it is reported like a syntax error, at
// the second key, naming the first.
func (d *Document) duplicateKeys() Diagnostics {
	var diags Diagnostics
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c)
			}
		case yaml.MappingNode:
			first := map[string]*yaml.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
					if prev, ok := first[k.Value]; ok {
						diags = append(diags, d.diag(Pos{k.Line, k.Column}, Error, "yaml.duplicate_key",
							fmt.Sprintf("%q is already set at line %d of this mapping; keep one of them", k.Value, prev.Line), ""))
					} else {
						first[k.Value] = k
					}
				}
				walk(n.Content[i+1])
			}
		}
		// Aliases are not followed: what they point at is walked where it is defined.
	}
	walk(d.root)
	return diags
}
