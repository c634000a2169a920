package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Document is one parsed spec file: its text and YAML tree. Every element of the spec is addressed by a JSON
// pointer (/sources/orders/path), the same address JSON Schema errors carry, so schema errors and semantic
// errors are located by one mechanism.
type Document struct {
	// File is the path as the user gave it, used in every message.
	File  string
	Src   []byte
	lines []string
	root  *yaml.Node
}

var yamlLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

// ParseDocument parses src as a single YAML document. A syntax error is returned as a diagnostic at its line.
func ParseDocument(file string, src []byte) (*Document, Diagnostics) {
	d := &Document{File: file, Src: src, lines: strings.Split(string(src), "\n")}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, Diagnostics{d.diag(Pos{1, 1}, Error, "yaml.empty", "the spec is empty", "")}
	}
	if err != nil {
		return nil, Diagnostics{d.syntaxError(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Diagnostics{d.diag(Pos{extra.Line, extra.Column}, Error, "yaml.multiple_documents",
			"a spec file holds one YAML document; found a second one here", "")}
	} else if !errors.Is(err, io.EOF) {
		return nil, Diagnostics{d.syntaxError(err)}
	}
	d.root = doc.Content[0]
	if diags := d.duplicateKeys(); len(diags) > 0 {
		return nil, diags
	}
	return d, nil
}

func (d *Document) syntaxError(err error) Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := Pos{1, 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			pos.Column, _ = strconv.Atoi(m[2])
		} else {
			pos.Column = d.firstColumn(pos.Line)
		}
		msg = strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
	}
	return d.diag(pos, Error, "yaml.syntax", "YAML syntax: "+msg, "")
}

// firstColumn is the column of the first non-blank character of a line, where a syntax error with no
// column is most likely to be.
func (d *Document) firstColumn(line int) int {
	if line < 1 || line > len(d.lines) {
		return 1
	}
	text := d.lines[line-1]
	return len(text) - len(strings.TrimLeft(text, " \t")) + 1
}

// Line returns the text of a 1-based line, or "".
func (d *Document) Line(n int) string {
	if n < 1 || n > len(d.lines) {
		return ""
	}
	return strings.TrimSuffix(d.lines[n-1], "\r")
}

func (d *Document) diag(p Pos, sev Severity, code, msg, suggestion string) Diagnostic {
	return Diagnostic{File: d.File, Line: p.Line, Column: p.Column, Severity: sev, Code: code, Message: msg,
		Suggestion: suggestion}
}

// At makes a diagnostic located at the value of pointer path (or its nearest existing ancestor).
func (d *Document) At(path string, sev Severity, code, msg, suggestion string) Diagnostic {
	diag := d.diag(d.Pos(path), sev, code, msg, suggestion)
	diag.Path = path
	return diag
}

// AtKey makes a diagnostic located at the key of pointer path, for problems with a name.
func (d *Document) AtKey(path string, sev Severity, code, msg, suggestion string) Diagnostic {
	diag := d.diag(d.KeyPos(path), sev, code, msg, suggestion)
	diag.Path = path
	return diag
}

// AtScalar makes a diagnostic at a 1-based line and column inside the text of the scalar at path: an SQL
// or rule error's own position, mapped back to the file.
func (d *Document) AtScalar(path string, line, col int, sev Severity, code, msg, suggestion string) Diagnostic {
	diag := d.diag(d.ScalarPos(path, line, col), sev, code, msg, suggestion)
	diag.Path = path
	return diag
}

// Pos is the position of the value at path, or of its nearest existing ancestor.
func (d *Document) Pos(path string) Pos {
	_, v := d.lookup(path)
	if v == nil {
		return Pos{1, 1}
	}
	return Pos{v.Line, v.Column}
}

// KeyPos is the position of the mapping key at path, or of the value when it has no key.
func (d *Document) KeyPos(path string) Pos {
	k, v := d.lookup(path)
	if k != nil {
		return Pos{k.Line, k.Column}
	}
	if v == nil {
		return Pos{1, 1}
	}
	return Pos{v.Line, v.Column}
}

// Exists reports whether path addresses an element of the document.
func (d *Document) Exists(path string) bool {
	n := d.root
	for _, tok := range splitPointer(path) {
		_, n = child(n, tok)
		if n == nil {
			return false
		}
	}
	return true
}

// ScalarPos maps a 1-based line and column inside the scalar at path to a file position. Literal blocks (|),
// the usual style for SQL, map exactly; single-line scalars map exactly unless they contain escapes; folded
// and multi-line flow scalars map to the line the text starts on.
func (d *Document) ScalarPos(path string, line, col int) Pos {
	_, v := d.lookup(path)
	if v == nil {
		return Pos{1, 1}
	}
	line, col = max(line, 1), max(col, 1)
	switch v.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		first := v.Line + 1 // the content starts on the line after the | or > indicator
		indent := 0
		for l := first; l <= len(d.lines); l++ {
			if t := d.Line(l); strings.TrimSpace(t) != "" {
				indent = len(t) - len(strings.TrimLeft(t, " "))
				break
			}
		}
		if v.Style == yaml.FoldedStyle {
			return Pos{first, indent + 1}
		}
		return Pos{first + line - 1, indent + col}
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 {
			return Pos{v.Line, v.Column + col}
		}
		return Pos{v.Line + line - 1, col}
	default:
		if line == 1 {
			return Pos{v.Line, v.Column + col - 1}
		}
		return Pos{v.Line + line - 1, d.firstColumn(v.Line+line-1) + col - 1}
	}
}

// lookup walks the pointer; when an element is missing it stops at the deepest existing one, so a
// diagnostic about a missing key still points somewhere useful (its parent).
func (d *Document) lookup(path string) (key, val *yaml.Node) {
	val = d.root
	for _, tok := range splitPointer(path) {
		k, v := child(val, tok)
		if v == nil {
			return key, val
		}
		key, val = k, v
	}
	return key, val
}

// child returns the key and value of tok in a mapping, or item tok of a sequence.
func child(n *yaml.Node, tok string) (key, val *yaml.Node) {
	n = deref(n)
	if n == nil {
		return nil, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, p := range pairs(n) {
			if p[0].Value == tok {
				return p[0], deref(p[1])
			}
		}
	case yaml.SequenceNode:
		i, err := strconv.Atoi(tok)
		if err == nil && i >= 0 && i < len(n.Content) {
			return nil, deref(n.Content[i])
		}
	}
	return nil, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pairs lists a mapping's key/value pairs with YAML merge keys (<<: *base) expanded; explicit keys win over
// merged ones, as YAML specifies.
func pairs(n *yaml.Node) [][2]*yaml.Node { return pairsDepth(n, 0) }

// maxMergeDepth stops merge keys that (through aliases) merge a mapping into itself.
const maxMergeDepth = 16

func pairsDepth(n *yaml.Node, depth int) [][2]*yaml.Node {
	var explicit, merged [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if depth < maxMergeDepth {
				for _, src := range mergeSources(deref(v)) {
					merged = append(merged, pairsDepth(src, depth+1)...)
				}
			}
			continue
		}
		explicit = append(explicit, [2]*yaml.Node{k, v})
		seen[k.Value] = true
	}
	for _, p := range merged {
		if !seen[p[0].Value] {
			explicit = append(explicit, p)
			seen[p[0].Value] = true
		}
	}
	return explicit
}

func mergeSources(v *yaml.Node) []*yaml.Node {
	switch {
	case v == nil:
		return nil
	case v.Kind == yaml.MappingNode:
		return []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			if c = deref(c); c != nil && c.Kind == yaml.MappingNode {
				out = append(out, c)
			}
		}
		return out
	}
	return nil
}

// maxExpandedNodes bounds how many nodes alias expansion may produce: a few aliases nested in each other
// expand exponentially ("billion laughs"), and a spec is never that large.
const maxExpandedNodes = 1 << 20

// toJSON converts the YAML tree into the generic values a JSON Schema validator takes. Keys that are not
// scalars have no JSON form; they are reported and skipped. An alias that contains itself, or aliases that
// expand beyond any real spec's size, are reported and not followed.
func (d *Document) toJSON() (any, Diagnostics) {
	var diags Diagnostics
	expanding := map[*yaml.Node]bool{}
	budget := maxExpandedNodes
	var conv func(n *yaml.Node, path string) any
	conv = func(n *yaml.Node, path string) any {
		if budget--; budget == 0 {
			diags = append(diags, d.diag(Pos{n.Line, n.Column}, Error, "yaml.alias", "YAML aliases expand to more than a spec can hold", ""))
		}
		if budget <= 0 {
			return nil
		}
		if n.Kind == yaml.AliasNode {
			if expanding[n.Alias] {
				diags = append(diags, d.diag(Pos{n.Line, n.Column}, Error, "yaml.alias", "this alias refers to a value that contains it", ""))
				budget = 0
				return nil
			}
			expanding[n.Alias] = true
			defer delete(expanding, n.Alias)
		}
		n = deref(n)
		switch n.Kind {
		case yaml.MappingNode:
			m := make(map[string]any, len(n.Content)/2)
			for _, p := range pairs(n) {
				k := deref(p[0])
				if k.Kind != yaml.ScalarNode {
					diags = append(diags, d.diag(Pos{k.Line, k.Column}, Error, "yaml.complex_key",
						"mapping keys must be plain names, not lists or mappings", ""))
					continue
				}
				m[k.Value] = conv(p[1], path+"/"+escapePointer(k.Value))
			}
			return m
		case yaml.SequenceNode:
			s := make([]any, len(n.Content))
			for i, c := range n.Content {
				s[i] = conv(c, fmt.Sprintf("%s/%d", path, i))
			}
			return s
		case yaml.ScalarNode:
			return scalarValue(n)
		}
		return nil
	}
	return conv(d.root, ""), diags
}

// scalarValue resolves a YAML scalar by its tag. Non-finite floats have no JSON form and stay strings, which
// the schema then rejects where a number is required.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}

func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
	}
	return toks
}

func escapePointer(tok string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
}

// Pointer builds a JSON pointer from tokens: Pointer("sources", "orders", "path") is /sources/orders/path.
func Pointer(toks ...any) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteByte('/')
		b.WriteString(escapePointer(fmt.Sprint(t)))
	}
	return b.String()
}
