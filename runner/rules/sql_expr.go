package rules

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// A rule runs on a SQL engine as a SQL condition translated from expr's checked AST: the tree the kernels
// are built from (kernel.go), so the two agree on which nodes exist and what type each has. The SQL must
// give the answer Go gives on every row, so the translation does not lean on SQL's semantics where they
// differ from Go's: integers are BIGINT whatever their width, a number meeting a float is a DOUBLE
// PRECISION, `/` divides in floating point and gives ±Infinity or NaN for a zero divisor as Go does (where
// PostgreSQL raises), a comparison with a NaN the rule computed is false (SQL orders NaN above every number
// and makes it equal to itself), text orders by bytes (COLLATE "C"), and times are UTC TIMESTAMPs. A
// construct without an exact SQL equivalent is refused, naming it (UntranslatableError), rather than
// translated approximately.

// Dialect is the SQL engine a translation is for. The SQL is the same on both, except that PostgreSQL
// refuses what it would compute differently from Go (changing case).
type Dialect int

const (
	DuckDB Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "PostgreSQL"
	}
	return "DuckDB"
}

// kDuration is a time.Duration, which only the SQL translation needs: the kernels leave durations to the
// VM. In SQL a duration is an INTERVAL.
const kDuration vkind = 100

// sqlExpr is a translated expression: its SQL text and its kind.
type sqlExpr struct {
	text string
	kind vkind
	// nan says the value may be a NaN the rule computed (0.0/0.0, Inf-Inf, a float var): comparisons then
	// test for it, since SQL's NaN equals itself and orders above every number, where Go's compares false.
	nan bool
	// raises says evaluating it may fail on some rows (integer modulo by zero), as expr's VM fails: it is
	// then evaluated only where Go would evaluate it (CASE rather than AND, which SQL does not order).
	raises bool
}

// UntranslatableError is a rule construct with no exact SQL equivalent: validation on a SQL engine reports
// it at its position in the rule.
type UntranslatableError struct {
	// Rule is the rule's index in its set (-1 when checking a single rule), Segment its segment.
	Rule    int
	Segment string
	// Construct names what cannot be translated, in the rule's terms ("the matches operator").
	Construct string
	// Why says what differs, or what to do instead.
	Why string
	// Line and Column are the construct's position in the rule's text, from 1.
	Line, Column int
	Dialect      Dialect
}

func (e *UntranslatableError) Error() string {
	msg := fmt.Sprintf("%s cannot run on %s", e.Construct, e.Dialect)
	if e.Why != "" {
		msg += ": " + e.Why
	}
	if e.Rule >= 0 {
		return fmt.Sprintf("rule %d (%s): %s", e.Rule+1, e.Segment, msg)
	}
	return msg
}

// translator turns one rule's checked AST into a SQL boolean expression.
type translator struct {
	dialect Dialect
	src     string
	columns map[string]Column
	// varsTable is the one-row table vars and as_of are read from; "" pastes their values as literals.
	varsTable string
	vars      map[string]any
	asOf      time.Time
}

// fail is the error for a construct at node n.
func (t *translator) fail(n ast.Node, construct, why string) error {
	line, col := position(t.src, n.Location().From)
	return &UntranslatableError{Rule: -1, Construct: construct, Why: why, Line: line, Column: col, Dialect: t.dialect}
}

// position is the line and column (from 1) of the rune at offset from in src, as expr's errors count.
func position(src string, from int) (line, col int) {
	line, col = 1, 1
	runes := 0
	for _, r := range src {
		if runes == from {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		runes++
	}
	return line, col
}

func (t *translator) condition(n ast.Node) (sqlExpr, error) {
	e, err := t.expr(n)
	if err != nil {
		return e, err
	}
	if e.kind != kBool {
		return e, t.fail(n, "a rule that is not a condition", "")
	}
	return e, nil
}

func (t *translator) expr(n ast.Node) (sqlExpr, error) {
	if isConstant(n) {
		return t.fold(n)
	}
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return t.identifier(x)
	case *ast.MemberNode:
		return t.member(x)
	case *ast.UnaryNode:
		return t.unary(x)
	case *ast.BinaryNode:
		return t.binary(x)
	case *ast.ConditionalNode:
		return t.conditional(x)
	case *ast.BuiltinNode:
		return t.builtin(x)
	case *ast.CallNode:
		return t.call(x)
	}
	return sqlExpr{}, t.fail(n, fmt.Sprintf("the expression %q", n.String()), "")
}

// isConstant says whether n reads nothing of the row, the vars or as_of, so Go can compute it once:
// date("2024-01-31"), duration("720h"), 30 * 24.
func isConstant(n ast.Node) bool {
	reads := ast.Find(n, func(x ast.Node) bool {
		switch x.(type) {
		case *ast.IdentifierNode, *ast.MemberNode, *ast.PointerNode, *ast.VariableDeclaratorNode, *ast.PredicateNode:
			return true
		}
		return false
	})
	return reads == nil
}

// fold computes a constant subtree in Go, as the rule would, and writes its value as a literal.
func (t *translator) fold(n ast.Node) (sqlExpr, error) {
	v, err := evalConstant(n)
	if err != nil {
		return sqlExpr{}, t.fail(n, fmt.Sprintf("the constant %q", n.String()), err.Error())
	}
	e, ok := literal(v)
	if !ok {
		return sqlExpr{}, t.fail(n, fmt.Sprintf("the constant %q (a %T)", n.String(), v), "")
	}
	if e.kind == kDuration && v.(time.Duration)%time.Microsecond != 0 {
		return sqlExpr{}, t.fail(n, fmt.Sprintf("the duration %q", n.String()), "engines hold durations to the microsecond")
	}
	if e.kind == kStr && strings.ContainsRune(v.(string), 0) {
		return sqlExpr{}, t.fail(n, fmt.Sprintf("the text %q", n.String()), "SQL text cannot hold a NUL character")
	}
	return e, nil
}

// evalConstant runs a constant subtree of a checked rule as expr would: compiled from the tree itself, not
// from its printed text, which writes the float 2.0 as the integer 2.
func evalConstant(n ast.Node) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	prog, err := compiler.Compile(&parser.Tree{Node: n, Source: file.NewSource(n.String())}, conf.CreateNew())
	if err != nil {
		return nil, err
	}
	if v, err = vm.Run(prog, nil); err != nil {
		return nil, err
	}
	if i, ok := v.(int); ok && kindOf(n.Type()) == kFloat {
		v = float64(i)
	}
	return v, nil
}

// literal writes a Go value as SQL of its kind.
func literal(v any) (sqlExpr, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return sqlExpr{text: "TRUE", kind: kBool}, true
		}
		return sqlExpr{text: "FALSE", kind: kBool}, true
	case int:
		return intLiteral(int64(x)), true
	case int64:
		return intLiteral(x), true
	case float64:
		return floatLiteral(x), true
	case string:
		return sqlExpr{text: quote(x), kind: kStr}, true
	case time.Time:
		return sqlExpr{text: "CAST(" + quote(x.UTC().Format("2006-01-02 15:04:05.000000")) + " AS TIMESTAMP)", kind: kTime}, true
	case time.Duration:
		return sqlExpr{text: fmt.Sprintf("CAST('%d microseconds' AS INTERVAL)", x.Microseconds()), kind: kDuration}, true
	}
	return sqlExpr{}, false
}

func intLiteral(i int64) sqlExpr {
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		if i < 0 {
			return sqlExpr{text: "(" + strconv.FormatInt(i, 10) + ")", kind: kInt}
		}
		return sqlExpr{text: strconv.FormatInt(i, 10), kind: kInt}
	}
	return sqlExpr{text: "CAST('" + strconv.FormatInt(i, 10) + "' AS BIGINT)", kind: kInt}
}

// floatLiteral writes a double as text both engines parse to the same double (the shortest that
// round-trips), cast, so that 0.1 is the double 0.1 and not a DECIMAL.
func floatLiteral(f float64) sqlExpr {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	switch {
	case math.IsNaN(f):
		s = "NaN"
	case math.IsInf(f, 1):
		s = "Infinity"
	case math.IsInf(f, -1):
		s = "-Infinity"
	}
	return sqlExpr{text: "CAST('" + s + "' AS DOUBLE PRECISION)", kind: kFloat, nan: math.IsNaN(f)}
}

const sqlNaN = "CAST('NaN' AS DOUBLE PRECISION)"

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// identifier is a column (as Go loads it: ZeroValue's kinds) or as_of.
func (t *translator) identifier(x *ast.IdentifierNode) (sqlExpr, error) {
	if c, ok := t.columns[x.Value]; ok {
		return columnSQL(c)
	}
	if x.Value == AsOf {
		if t.varsTable == "" {
			e, _ := literal(t.asOf)
			return e, nil
		}
		return sqlExpr{text: fmt.Sprintf("CAST((SELECT %s FROM %s) AS TIMESTAMP)", quoteIdent(AsOf), t.varsTable), kind: kTime}, nil
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the name %q", x.Value), "")
}

// columnSQL reads column c as Go reads it: integers as BIGINT, numbers as DOUBLE PRECISION, text as
// VARCHAR (an ENUM would order by its position), times as a UTC TIMESTAMP.
func columnSQL(c Column) (sqlExpr, error) {
	id := quoteIdent(c.Name)
	typ := strings.ToUpper(c.Type)
	switch kindOf(reflect.TypeOf(ZeroValue(c.Type))) {
	case kInt:
		if typ != "BIGINT" {
			id = "CAST(" + id + " AS BIGINT)"
		}
		return sqlExpr{text: id, kind: kInt}, nil
	case kFloat:
		if typ != "DOUBLE" && typ != "DOUBLE PRECISION" {
			id = "CAST(" + id + " AS DOUBLE PRECISION)"
		}
		return sqlExpr{text: id, kind: kFloat}, nil
	case kStr:
		if typ != "VARCHAR" && typ != "TEXT" {
			id = "CAST(" + id + " AS VARCHAR)"
		}
		// Go compares text by its bytes: so does the C collation, whatever the column's (on PostgreSQL a
		// nondeterministic one would make 'a' = 'A', and refuse strpos and ~).
		return sqlExpr{text: "(" + id + ` COLLATE "C")`, kind: kStr}, nil
	case kBool:
		return sqlExpr{text: id, kind: kBool}, nil
	case kTime:
		switch {
		case typ == "TIMESTAMP" || typ == "TIMESTAMP WITHOUT TIME ZONE":
		case typ == "TIMESTAMPTZ" || strings.HasSuffix(typ, " WITH TIME ZONE"):
			id = "(" + id + " AT TIME ZONE 'UTC')"
		default:
			id = "CAST(" + id + " AS TIMESTAMP)"
		}
		return sqlExpr{text: id, kind: kTime}, nil
	}
	return sqlExpr{}, fmt.Errorf("column %s of type %s cannot be read by rules", c.Name, c.Type)
}

// member is vars.NAME: a bound value read from the vars table, or its literal.
func (t *translator) member(x *ast.MemberNode) (sqlExpr, error) {
	id, ok1 := x.Node.(*ast.IdentifierNode)
	prop, ok2 := x.Property.(*ast.StringNode)
	if !ok1 || !ok2 || id.Value != "vars" || x.Optional || x.Method {
		return sqlExpr{}, t.fail(x, fmt.Sprintf("the member access %q", x.String()), "")
	}
	v, ok := t.vars[prop.Value]
	if !ok {
		return sqlExpr{}, t.fail(x, fmt.Sprintf("the var %q", prop.Value), "the spec declares no such var")
	}
	if t.varsTable == "" {
		e, ok := literal(v)
		if !ok {
			return sqlExpr{}, t.fail(x, fmt.Sprintf("the var %q (a %T)", prop.Value, v), "")
		}
		return e, nil
	}
	read := fmt.Sprintf("(SELECT %s FROM %s)", quoteIdent(prop.Value), t.varsTable)
	switch v.(type) {
	case int, int64:
		return sqlExpr{text: "CAST(" + read + " AS BIGINT)", kind: kInt}, nil
	case float64: // --var x=NaN parses: a float var may be NaN
		return sqlExpr{text: "CAST(" + read + " AS DOUBLE PRECISION)", kind: kFloat, nan: true}, nil
	case string:
		return sqlExpr{text: "CAST(" + read + " AS VARCHAR)", kind: kStr}, nil
	case bool:
		return sqlExpr{text: read, kind: kBool}, nil
	case time.Time:
		return sqlExpr{text: "CAST(" + read + " AS TIMESTAMP)", kind: kTime}, nil
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the var %q (a %T)", prop.Value, v), "")
}

func (t *translator) unary(x *ast.UnaryNode) (sqlExpr, error) {
	c, err := t.expr(x.Node)
	if err != nil {
		return c, err
	}
	switch {
	case (x.Operator == "!" || x.Operator == "not") && c.kind == kBool:
		return sqlExpr{text: "(NOT " + c.text + ")", kind: kBool, raises: c.raises}, nil
	case x.Operator == "-" && (c.kind == kInt || c.kind == kFloat):
		return sqlExpr{text: "(-" + c.text + ")", kind: c.kind, nan: c.nan, raises: c.raises}, nil
	case x.Operator == "+" && (c.kind == kInt || c.kind == kFloat):
		return c, nil
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the operator %s on %s", x.Operator, c.kind), "")
}

// asFloat converts an integer to the double Go converts it to.
func asFloat(e sqlExpr) sqlExpr {
	if e.kind == kInt {
		return sqlExpr{text: "CAST(" + e.text + " AS DOUBLE PRECISION)", kind: kFloat, raises: e.raises}
	}
	return e
}

func (t *translator) binary(x *ast.BinaryNode) (sqlExpr, error) {
	switch x.Operator {
	case "in", "not in":
		return t.in(x)
	case "matches":
		return t.matches(x)
	case "??":
		return sqlExpr{}, t.fail(x, "the ?? operator", "rules read no missing values")
	case "**", "^":
		return sqlExpr{}, t.fail(x, "the power operator "+x.Operator, "the engine raises where Go gives NaN or ±Inf; multiply instead")
	}
	l, err := t.expr(x.Left)
	if err != nil {
		return l, err
	}
	r, err := t.expr(x.Right)
	if err != nil {
		return r, err
	}
	lk, rk := l.kind, r.kind
	numeric := (lk == kInt || lk == kFloat) && (rk == kInt || rk == kFloat)
	raises := l.raises || r.raises
	switch x.Operator {
	case "&&", "and":
		if lk == kBool && rk == kBool {
			if r.raises { // Go does not evaluate the right side where the left is false
				return sqlExpr{text: "(CASE WHEN " + l.text + " THEN " + r.text + " ELSE FALSE END)", kind: kBool, raises: raises}, nil
			}
			return sqlExpr{text: "(" + l.text + " AND " + r.text + ")", kind: kBool, raises: raises}, nil
		}
	case "||", "or":
		if lk == kBool && rk == kBool {
			if r.raises {
				return sqlExpr{text: "(CASE WHEN " + l.text + " THEN TRUE ELSE " + r.text + " END)", kind: kBool, raises: raises}, nil
			}
			return sqlExpr{text: "(" + l.text + " OR " + r.text + ")", kind: kBool, raises: raises}, nil
		}
	case "==", "!=", "<", "<=", ">", ">=":
		return t.compare(x, l, r)
	case "+", "-", "*":
		switch {
		case lk == kInt && rk == kInt:
			return sqlExpr{text: "(" + l.text + " " + x.Operator + " " + r.text + ")", kind: kInt, raises: raises}, nil
		case numeric:
			// Inf - Inf and Inf * 0 are NaN: a float result may be one.
			l, r = asFloat(l), asFloat(r)
			return sqlExpr{text: "(" + l.text + " " + x.Operator + " " + r.text + ")", kind: kFloat, nan: true, raises: raises}, nil
		case x.Operator == "-" && lk == kTime && rk == kTime:
			return sqlExpr{text: "(" + l.text + " - " + r.text + ")", kind: kDuration, raises: raises}, nil
		case (x.Operator == "+" || x.Operator == "-") && lk == kTime && rk == kDuration:
			return sqlExpr{text: "(" + l.text + " " + x.Operator + " " + r.text + ")", kind: kTime, raises: raises}, nil
		case x.Operator == "+" && lk == kStr && rk == kStr:
			return sqlExpr{text: "(" + l.text + " || " + r.text + ")", kind: kStr, raises: raises}, nil
		}
	case "/":
		if numeric {
			return divide(asFloat(l), asFloat(r)), nil
		}
	case "%":
		if lk == kInt && rk == kInt {
			if r.text == "0" {
				return sqlExpr{}, t.fail(x, "the modulo by 0", "it fails on every row")
			}
			// Go fails the run on a zero divisor, as PostgreSQL does and DuckDB does not (it gives NULL): cast
			// text that is no number, which both engines refuse, naming the problem.
			fail := fmt.Sprintf("CAST(CASE WHEN %s = 0 THEN %s END AS BIGINT)", r.text, quote("rule: integer divide by zero in "+x.String()))
			return sqlExpr{text: fmt.Sprintf("(CASE WHEN %s <> 0 THEN %s %% %s ELSE %s END)", r.text, l.text, r.text, fail), kind: kInt, raises: true}, nil
		}
	case "contains":
		if lk == kStr && rk == kStr {
			return sqlExpr{text: "(strpos(" + l.text + ", " + r.text + ") > 0)", kind: kBool, raises: raises}, nil
		}
	case "startsWith":
		if lk == kStr && rk == kStr {
			return sqlExpr{text: "(left(" + l.text + ", length(" + r.text + ")) = " + r.text + ")", kind: kBool, raises: raises}, nil
		}
	case "endsWith":
		if lk == kStr && rk == kStr {
			return sqlExpr{text: "(right(" + l.text + ", length(" + r.text + ")) = " + r.text + ")", kind: kBool, raises: raises}, nil
		}
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the operator %s between %s and %s", x.Operator, lk, rk), "")
}

// divide is Go's float division: a zero divisor gives ±Inf by the signs of both operands (the zero's sign
// read by atan2, which keeps it), or NaN for 0/0 and NaN/0, where PostgreSQL raises.
func divide(l, r sqlExpr) sqlExpr {
	text := fmt.Sprintf("(CASE WHEN %[2]s = 0 THEN (CASE WHEN %[1]s = %[3]s OR %[1]s = 0 THEN %[3]s WHEN (%[1]s > 0) = (atan2(%[2]s, -1) > 0) "+
		"THEN CAST('Infinity' AS DOUBLE PRECISION) ELSE CAST('-Infinity' AS DOUBLE PRECISION) END) ELSE %[1]s / %[2]s END)", l.text, r.text, sqlNaN)
	return sqlExpr{text: text, kind: kFloat, nan: true, raises: l.raises || r.raises}
}

var sqlOps = map[string]string{"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// compare is a comparison with Go's answer: NaN compares false (!= true), text by bytes.
func (t *translator) compare(x *ast.BinaryNode, l, r sqlExpr) (sqlExpr, error) {
	op := sqlOps[x.Operator]
	lk, rk := l.kind, r.kind
	raises := l.raises || r.raises
	switch {
	case lk == kInt && rk == kInt, lk == kTime && rk == kTime, lk == kDuration && rk == kDuration:
	case lk == kBool && rk == kBool && (op == "=" || op == "<>"):
	case lk == kStr && rk == kStr:
		if op != "=" && op != "<>" {
			r.text += ` COLLATE "C"` // Go orders strings by their bytes; so does the C collation
		}
	case (lk == kInt || lk == kFloat) && (rk == kInt || rk == kFloat):
		l, r = asFloat(l), asFloat(r)
		var nans []string
		for _, e := range []sqlExpr{l, r} {
			if e.nan {
				nans = append(nans, e.text+" = "+sqlNaN)
			}
		}
		if len(nans) > 0 {
			cmp := l.text + " " + op + " " + r.text
			if op == "<>" {
				return sqlExpr{text: "(" + cmp + " OR " + strings.Join(nans, " OR ") + ")", kind: kBool, raises: raises}, nil
			}
			return sqlExpr{text: "(" + cmp + " AND NOT (" + strings.Join(nans, " OR ") + "))", kind: kBool, raises: raises}, nil
		}
	default:
		return sqlExpr{}, t.fail(x, fmt.Sprintf("the comparison %s between %s and %s", x.Operator, lk, rk), "")
	}
	return sqlExpr{text: "(" + l.text + " " + op + " " + r.text + ")", kind: kBool, raises: raises}, nil
}

// in is membership in a literal list (country in ['GB', 'DE']) or an integer range (score in 1..3).
func (t *translator) in(x *ast.BinaryNode) (sqlExpr, error) {
	l, err := t.expr(x.Left)
	if err != nil {
		return l, err
	}
	var out sqlExpr
	switch right := x.Right.(type) {
	case *ast.BinaryNode:
		if right.Operator != ".." || l.kind != kInt {
			return sqlExpr{}, t.fail(x.Right, fmt.Sprintf("membership in %q", right.String()), "use a literal list or an integer range")
		}
		lo, err := t.expr(right.Left)
		if err != nil {
			return lo, err
		}
		hi, err := t.expr(right.Right)
		if err != nil {
			return hi, err
		}
		out = sqlExpr{text: fmt.Sprintf("(%s >= %s AND %s <= %s)", l.text, lo.text, l.text, hi.text), kind: kBool, raises: l.raises || lo.raises || hi.raises}
	case *ast.ArrayNode:
		var items []sqlExpr
		float := l.kind == kFloat
		for _, n := range right.Nodes {
			if !isConstant(n) {
				return sqlExpr{}, t.fail(n, fmt.Sprintf("the list item %q", n.String()), "list items must be constants")
			}
			e, err := t.fold(n)
			if err != nil {
				return e, err
			}
			numeric := (l.kind == kInt || l.kind == kFloat) && (e.kind == kInt || e.kind == kFloat)
			if e.kind != l.kind && !numeric {
				return sqlExpr{}, t.fail(n, fmt.Sprintf("the list item %q (%s, against %s)", n.String(), e.kind, l.kind), "")
			}
			float = float || e.kind == kFloat
			items = append(items, e)
		}
		if len(items) == 0 {
			out = sqlExpr{text: "FALSE", kind: kBool}
			break
		}
		if float { // Go compares an integer with a float list as floats
			l = asFloat(l)
		}
		texts := make([]string, len(items))
		nan := l.nan
		for i, e := range items {
			if float {
				e = asFloat(e)
			}
			texts[i], nan = e.text, nan || e.nan
		}
		out = sqlExpr{text: "(" + l.text + " IN (" + strings.Join(texts, ", ") + "))", kind: kBool, raises: l.raises}
		if nan { // a NaN is in no list in Go
			out.text = "(" + out.text + " AND " + l.text + " <> " + sqlNaN + ")"
		}
	default:
		return sqlExpr{}, t.fail(x.Right, fmt.Sprintf("membership in %q", x.Right.String()), "use a literal list or an integer range")
	}
	if x.Operator == "not in" {
		out.text = "(NOT " + out.text + ")"
	}
	return out, nil
}

func (t *translator) conditional(x *ast.ConditionalNode) (sqlExpr, error) {
	c, err := t.expr(x.Cond)
	if err != nil {
		return c, err
	}
	a, err := t.expr(x.Exp1)
	if err != nil {
		return a, err
	}
	b, err := t.expr(x.Exp2)
	if err != nil {
		return b, err
	}
	if (a.kind == kInt && b.kind == kFloat) || (a.kind == kFloat && b.kind == kInt) {
		return sqlExpr{}, t.fail(x, "a conditional giving an integer on one side and a number on the other", "convert with float()")
	}
	if c.kind != kBool || a.kind != b.kind {
		return sqlExpr{}, t.fail(x, fmt.Sprintf("the conditional %q", x.String()), "")
	}
	return sqlExpr{text: fmt.Sprintf("(CASE WHEN %s THEN %s ELSE %s END)", c.text, a.text, b.text), kind: a.kind,
		nan: a.nan || b.nan, raises: c.raises || a.raises || b.raises}, nil
}

func (t *translator) builtin(x *ast.BuiltinNode) (sqlExpr, error) {
	if len(x.Arguments) != 1 {
		return sqlExpr{}, t.fail(x, fmt.Sprintf("the function %s", x.Name), "")
	}
	a, err := t.expr(x.Arguments[0])
	if err != nil {
		return a, err
	}
	switch x.Name {
	case "len":
		if a.kind == kStr { // expr's len counts runes, as length does on both engines
			return sqlExpr{text: "length(" + a.text + ")", kind: kInt, raises: a.raises}, nil
		}
	case "abs":
		if a.kind == kInt || a.kind == kFloat {
			return sqlExpr{text: "abs(" + a.text + ")", kind: a.kind, nan: a.nan, raises: a.raises}, nil
		}
	case "ceil", "floor":
		if a.kind == kInt || a.kind == kFloat {
			a = asFloat(a)
			return sqlExpr{text: x.Name + "(" + a.text + ")", kind: kFloat, nan: a.nan, raises: a.raises}, nil
		}
	case "float":
		if a.kind == kInt || a.kind == kFloat {
			return asFloat(a), nil
		}
	case "int":
		switch {
		case a.kind == kInt:
			return a, nil
		case a.kind == kFloat && !a.nan: // Go truncates towards zero; SQL's cast rounds
			return sqlExpr{text: "CAST(trunc(" + a.text + ") AS BIGINT)", kind: kInt, raises: a.raises}, nil
		case a.kind == kFloat:
			return sqlExpr{}, t.fail(x, "int() of a computed number", "it may be NaN, which Go converts to an arbitrary integer; compare the number itself")
		}
	case "lower", "upper":
		if a.kind == kStr && t.dialect == DuckDB {
			return sqlExpr{text: x.Name + "(" + a.text + ")", kind: kStr, raises: a.raises}, nil
		}
		if a.kind == kStr {
			return sqlExpr{}, t.fail(x, "the function "+x.Name, "PostgreSQL changes case by its collation, not by Unicode as Go does; change case in the feature's SQL")
		}
	case "hasPrefix", "hasSuffix":
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the function %s on %s", x.Name, a.kind), "")
}

// timeParts are the methods of a time rules may call, as SQL's EXTRACT fields (both count Sunday as 0).
var timeParts = map[string]string{"Year": "YEAR", "Month": "MONTH", "Day": "DAY", "Hour": "HOUR", "Minute": "MINUTE",
	"Weekday": "DOW", "YearDay": "DOY"}

// call is a method of a time: signup.Year(), int(signup.Month()).
func (t *translator) call(x *ast.CallNode) (sqlExpr, error) {
	m, ok := x.Callee.(*ast.MemberNode)
	if ok && m.Method && len(x.Arguments) == 0 {
		prop, _ := m.Property.(*ast.StringNode)
		if prop != nil {
			if field, ok := timeParts[prop.Value]; ok {
				on, err := t.expr(m.Node)
				if err != nil {
					return on, err
				}
				if on.kind == kTime {
					return sqlExpr{text: fmt.Sprintf("CAST(EXTRACT(%s FROM %s) AS BIGINT)", field, on.text), kind: kInt, raises: on.raises}, nil
				}
			}
		}
	}
	return sqlExpr{}, t.fail(x, fmt.Sprintf("the call %q", x.String()), "")
}

// matches is a constant pattern rewritten to mean the same to Go and the engine (sql_regex.go).
func (t *translator) matches(x *ast.BinaryNode) (sqlExpr, error) {
	l, err := t.expr(x.Left)
	if err != nil {
		return l, err
	}
	if !isConstant(x.Right) || l.kind != kStr {
		return sqlExpr{}, t.fail(x, "the matches operator with a pattern that is not a constant", "")
	}
	v, err := evalConstant(x.Right)
	p, ok := v.(string)
	if err != nil || !ok {
		return sqlExpr{}, t.fail(x.Right, fmt.Sprintf("the pattern %s", x.Right.String()), "")
	}
	re, err := portableRegex(p)
	if err != nil {
		return sqlExpr{}, t.fail(x.Right, fmt.Sprintf("the pattern %s", x.Right.String()), err.Error())
	}
	if t.dialect == Postgres {
		return sqlExpr{text: "(" + l.text + " ~ " + quote(re) + ")", kind: kBool, raises: l.raises}, nil
	}
	return sqlExpr{text: "regexp_matches(" + l.text + ", " + quote(re) + ")", kind: kBool, raises: l.raises}, nil
}
