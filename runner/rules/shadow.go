package rules

import (
	"math"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Unreachable is a rule that can never match: it contradicts itself, or an earlier rule takes every row it
// would match (first match wins).
type Unreachable struct {
	Rule int
	// By is the earlier rule that shadows it, or -1 when the rule's own conditions contradict each other.
	By int
}

// Shadowed finds the rules among whens (a segmentation's rules, in order) that can never match. The check is
// exact for rules made of comparisons between a column and a constant joined by && (the common shape:
// recency_days <= 30 && frequency >= 8); other rules are not judged. Numeric vars count as constants.
func Shadowed(whens []string, vars []Var) []Unreachable {
	consts := map[string]float64{}
	for _, v := range vars {
		if f, ok := toFloat(v.Value); ok {
			consts["vars."+v.Name] = f
		}
	}
	boxes := make([]box, len(whens))
	for i, w := range whens {
		boxes[i] = ruleBox(w, consts)
	}
	var out []Unreachable
	for j := range whens {
		if boxes[j] == nil {
			continue
		}
		if boxes[j].empty() {
			out = append(out, Unreachable{Rule: j, By: -1})
			continue
		}
		for i := range j {
			if boxes[i] != nil && boxes[j].within(boxes[i]) {
				out = append(out, Unreachable{Rule: j, By: i})
				break
			}
		}
	}
	return out
}

// interval is the set of values a condition allows one column: lo..hi, each end open or closed.
type interval struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

// box maps each constrained column to its interval; a nil box means the rule is not of the judged shape.
type box map[string]interval

func (b box) empty() bool {
	for _, iv := range b {
		if iv.lo > iv.hi || iv.lo == iv.hi && (iv.loOpen || iv.hiOpen) {
			return true
		}
	}
	return false
}

// within reports whether every row in b is also in outer: on each column outer constrains, b's interval
// lies inside outer's.
func (b box) within(outer box) bool {
	for col, o := range outer {
		iv, ok := b[col]
		if !ok {
			return false
		}
		if iv.lo < o.lo || iv.lo == o.lo && o.loOpen && !iv.loOpen {
			return false
		}
		if iv.hi > o.hi || iv.hi == o.hi && o.hiOpen && !iv.hiOpen {
			return false
		}
	}
	return true
}

func ruleBox(src string, consts map[string]float64) box {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	b := box{}
	if !addConjuncts(b, tree.Node, consts) {
		return nil
	}
	return b
}

func addConjuncts(b box, n ast.Node, consts map[string]float64) bool {
	bin, ok := n.(*ast.BinaryNode)
	if !ok {
		return false
	}
	switch bin.Operator {
	case "&&", "and":
		return addConjuncts(b, bin.Left, consts) && addConjuncts(b, bin.Right, consts)
	case "<", "<=", ">", ">=", "==":
	default:
		return false
	}
	col, colOK := columnName(bin.Left)
	val, valOK := constantValue(bin.Right, consts)
	op := bin.Operator
	if !colOK || !valOK {
		// constant op column: flip it to column op' constant.
		col, colOK = columnName(bin.Right)
		val, valOK = constantValue(bin.Left, consts)
		op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}[op]
	}
	if !colOK || !valOK {
		return false
	}
	iv, seen := b[col]
	if !seen {
		iv = interval{lo: math.Inf(-1), hi: math.Inf(1)}
	}
	switch op {
	case "<":
		iv.tightenHi(val, true)
	case "<=":
		iv.tightenHi(val, false)
	case ">":
		iv.tightenLo(val, true)
	case ">=":
		iv.tightenLo(val, false)
	case "==":
		iv.tightenLo(val, false)
		iv.tightenHi(val, false)
	}
	b[col] = iv
	return true
}

func (iv *interval) tightenHi(v float64, open bool) {
	if v < iv.hi || v == iv.hi && open {
		iv.hi, iv.hiOpen = v, open
	}
}

func (iv *interval) tightenLo(v float64, open bool) {
	if v > iv.lo || v == iv.lo && open {
		iv.lo, iv.loOpen = v, open
	}
}

func columnName(n ast.Node) (string, bool) {
	id, ok := n.(*ast.IdentifierNode)
	if !ok || id.Value == "vars" || id.Value == AsOf {
		return "", false
	}
	return id.Value, true
}

func constantValue(n ast.Node, consts map[string]float64) (float64, bool) {
	switch x := n.(type) {
	case *ast.IntegerNode:
		return float64(x.Value), true
	case *ast.FloatNode:
		return x.Value, true
	case *ast.UnaryNode:
		if v, ok := constantValue(x.Node, consts); ok && x.Operator == "-" {
			return -v, true
		}
	case *ast.MemberNode:
		id, ok := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if ok && ok2 && id.Value == "vars" {
			v, found := consts["vars."+prop.Value]
			return v, found
		}
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
