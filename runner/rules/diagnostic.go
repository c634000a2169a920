package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	"github.com/segrun/segrun/internal/suggest"
)

// Diagnostic is why a rule does not compile, in the user's terms: validation makes it a diagnostic of the
// spec at the rule.
type Diagnostic struct {
	// Line and Column are the position within the rule's text (from 1), or 0 when expr names none.
	Line, Column int
	Code         string // rule.type, rule.unknown_column, rule.unknown_function, rule.unknown_var
	Message      string
	Suggestion   string // the name the user probably meant, or ""
}

// Check compiles rule src against env, and explains why it does not compile, or returns nil when it does.
// from names the rule's input in messages.
func Check(src, from string, env *Env) *Diagnostic {
	if _, err := compile(src, env); err != nil {
		d := explain(from, src, env, err)
		return &d
	}
	return nil
}

var (
	unknownName = regexp.MustCompile(`^unknown name (\S+)`)
	noField     = regexp.MustCompile(`has no field (\S+)`)
)

// explain puts a rule's compile error in the user's terms, at its position in the rule.
func explain(from, src string, env *Env, err error) Diagnostic {
	raw, line, col := err.Error(), 0, 0
	var fe *file.Error
	if errors.As(err, &fe) {
		raw, line, col = fe.Message, fe.Line, fe.Column+1
	}
	msg, code, sugg := "rule: "+raw, "rule.type", ""
	switch {
	case unknownName.MatchString(raw):
		name := unknownName.FindStringSubmatch(raw)[1]
		code = "rule.unknown_column"
		if name == "now" {
			msg = "rule: now() is not available: rules compare against as_of, the run's date, so every run reproduces"
		} else if calls(src, name) {
			code = "rule.unknown_function"
			sugg = suggest.Nearest(name, slices.DeleteFunc(slices.Clone(builtin.Names), func(n string) bool { return n == "now" }))
			msg = fmt.Sprintf("rule: unknown function %q", name)
			if sugg != "" {
				msg += fmt.Sprintf("; did you mean %q?", sugg)
			}
		} else if t, ok := columnType(env, name); ok {
			msg = fmt.Sprintf("rule: column %q has type %s, which rules cannot read (convert it in SQL: %s)", name, t, unreadableHint(name, t))
		} else {
			var names []string
			for _, c := range append(env.Columns, env.Extra...) {
				names = append(names, c.Name)
			}
			sugg = suggest.Nearest(name, names)
			msg = fmt.Sprintf("rule: %q is not a column of %s", name, from)
			if sugg != "" {
				msg += fmt.Sprintf("; did you mean %q?", sugg)
			}
		}
	case noField.MatchString(raw):
		name := noField.FindStringSubmatch(raw)[1]
		code = "rule.unknown_var"
		var names []string
		for _, v := range env.Vars {
			if v.Name != AsOf {
				names = append(names, v.Name)
			}
		}
		sugg = suggest.Nearest(name, names)
		msg = fmt.Sprintf("rule: the spec declares no var %q", name)
		if sugg != "" {
			msg += fmt.Sprintf("; did you mean %q?", sugg)
		}
	case strings.Contains(raw, "mismatched types"):
		if read := readColumns(src, env); len(read) > 0 {
			msg += "; the rule reads " + strings.Join(read, ", ")
			if slices.ContainsFunc(read, func(r string) bool { return strings.HasSuffix(r, "(VARCHAR)") }) {
				msg += ": a number read as text needs its type declared in the source's columns, or a cast in SQL"
			}
		}
	case strings.HasPrefix(raw, "expected bool, but got "):
		msg = "rule: a rule must be a condition (true or false), but this one gives " + strings.TrimPrefix(raw, "expected bool, but got ")
	}
	return Diagnostic{Line: line, Column: col, Code: code, Message: msg, Suggestion: sugg}
}

// calls says whether rule src calls name as a function: expr reports an unknown function as an unknown name.
func calls(src, name string) bool {
	tree, err := parser.Parse(src)
	if err != nil {
		return false
	}
	return ast.Find(tree.Node, func(n ast.Node) bool {
		c, ok := n.(*ast.CallNode)
		if !ok {
			return false
		}
		id, ok := c.Callee.(*ast.IdentifierNode)
		return ok && id.Value == name
	}) != nil
}

func columnType(env *Env, name string) (string, bool) {
	for _, c := range append(env.Columns, env.Extra...) {
		if c.Name == name {
			return c.Type, true
		}
	}
	return "", false
}

// readColumns lists the input columns rule src reads, with their types ("amount (VARCHAR)"), in the order
// they appear: a type mismatch is about them, and expr's message names only Go types.
func readColumns(src string, env *Env) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	var out []string
	ast.Find(tree.Node, func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok {
			if t, ok := columnType(env, id.Value); ok {
				if r := fmt.Sprintf("%s (%s)", id.Value, t); !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
		return false
	})
	return out
}
