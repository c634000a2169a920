package runner

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// ruleType is how a DuckDB column looks to a rule: the Go zero value expr type-checks against, or nil when
// rules cannot read that type (validation then names the column and its type, with unreadableHint).
//
// Every integer type is an int, HUGEINT and UBIGINT included (DuckDB types sum(BIGINT) HUGEINT): the rule
// engine holds integers as int64 and fails the run, naming the row, on a value outside its range rather
// than compare a wrapped one. Not UHUGEINT: DuckDB hands it to Arrow as a signed decimal(38,0), so a value
// from 2^127 up arrives already wrapped (2^128-1 as -1), past anything the engine could check. DECIMALs are doubles (12.34 is 12.34, whatever width DuckDB stores it
// in). DATE and every TIMESTAMP are instants (time.Time, UTC, to the microsecond), compared with as_of, a
// date var or expr's date(). UUIDs are text, as DuckDB hands them over.
func ruleType(duckType string) any {
	t := strings.ToUpper(duckType)
	switch {
	case t == "BOOLEAN":
		return false
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT":
		return 0
	case t == "FLOAT" || t == "DOUBLE" || strings.HasPrefix(t, "DECIMAL"):
		return 0.0
	case isText(t) || t == "UUID":
		return ""
	case t == "DATE" || strings.HasPrefix(t, "TIMESTAMP"): // _S, _MS, _NS, WITH TIME ZONE, TZ as declared
		return time.Time{}
	}
	return nil
}

// unreadableHint suggests the SQL that turns column name of a type rules cannot read into one they can.
func unreadableHint(name, duckType string) string {
	t := strings.ToUpper(duckType)
	switch {
	case strings.HasPrefix(t, "TIME"):
		return fmt.Sprintf("e.g. hour(%s), or epoch(%[1]s) for seconds since midnight", name)
	case t == "UHUGEINT":
		return fmt.Sprintf("e.g. %s::HUGEINT, or %[1]s::DOUBLE", name)
	case t == "INTERVAL":
		return fmt.Sprintf("e.g. epoch(%s) for seconds, or compare dates instead", name)
	case strings.HasSuffix(t, "]"):
		return fmt.Sprintf("e.g. len(%s) or list_contains(%[1]s, value)", name)
	case strings.HasPrefix(t, "STRUCT"):
		return fmt.Sprintf("select the field you need: %s.field", name)
	case strings.HasPrefix(t, "MAP"):
		return fmt.Sprintf("e.g. %s['key']", name)
	}
	return fmt.Sprintf("e.g. %s::VARCHAR", name)
}

// isText says whether a DuckDB type holds text: VARCHAR, or an ENUM (segmentation results are ENUMs of
// their segment names; DuckDB hands both to Arrow as strings, an ENUM dictionary-encoded).
func isText(duckType string) bool {
	t := strings.ToUpper(duckType)
	return t == "VARCHAR" || strings.HasPrefix(t, "ENUM(")
}

// RuleEnv is what rules of one segmentation can read: the input's columns, vars and as_of.
type RuleEnv struct {
	Columns []sql.Column
	Vars    []Var
	// Extra are columns a segmentation method adds before its rules run (r_score, f_score, m_score for rfm).
	Extra []sql.Column
	env   map[string]any
}

func (e *RuleEnv) build() map[string]any {
	if e.env != nil {
		return e.env
	}
	env := map[string]any{}
	for _, cols := range [][]sql.Column{e.Columns, e.Extra} {
		for _, c := range cols {
			if z := ruleType(c.Type); z != nil {
				env[c.Name] = z
			}
		}
	}
	var asOf time.Time
	for _, v := range e.Vars {
		if v.Name == AsOfVar {
			asOf = v.Value.(time.Time)
		}
	}
	env["vars"] = varsStruct(e.Vars)
	env[AsOfVar] = asOf
	e.env = env
	return env
}

// CompileRule compiles a rule once against the typed environment, as a boolean. now() is disabled: a rule
// must give the same answer whenever it runs, so dates come from as_of. (expr's date("2024-01-31") is
// midnight UTC, as DATE columns and as_of are; TestRuleDatesAreUTCWhereverTheRunHappens holds it there.)
func CompileRule(src string, env *RuleEnv, extra ...expr.Option) (*vm.Program, error) {
	opts := []expr.Option{expr.Env(env.build()), expr.AsBool(), expr.DisableBuiltin("now")}
	return expr.Compile(src, append(opts, extra...)...)
}

var (
	unknownName = regexp.MustCompile(`^unknown name (\S+)`)
	noField     = regexp.MustCompile(`has no field (\S+)`)
)

// RuleDiagnostic explains a rule's compile error in the user's terms, at its position in the rule.
func RuleDiagnostic(doc *spec.Document, path, from, src string, env *RuleEnv, err error) spec.Diagnostic {
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
			sugg = spec.Nearest(name, slices.DeleteFunc(slices.Clone(builtin.Names), func(n string) bool { return n == "now" }))
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
			sugg = spec.Nearest(name, names)
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
			if v.Name != AsOfVar {
				names = append(names, v.Name)
			}
		}
		sugg = spec.Nearest(name, names)
		msg = fmt.Sprintf("rule: the spec declares no var %q", name)
		if sugg != "" {
			msg += fmt.Sprintf("; did you mean %q?", sugg)
		}
	case strings.HasPrefix(raw, "expected bool, but got "):
		msg = "rule: a rule must be a condition (true or false), but this one gives " + strings.TrimPrefix(raw, "expected bool, but got ")
	}
	if line == 0 {
		return doc.At(path, spec.Error, code, msg, sugg)
	}
	return doc.AtScalar(path, line, col, spec.Error, code, msg, sugg)
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

func columnType(env *RuleEnv, name string) (string, bool) {
	for _, c := range append(env.Columns, env.Extra...) {
		if c.Name == name {
			return c.Type, true
		}
	}
	return "", false
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
