package rules

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Rule is one rule of a segmentation: the segment it assigns to the rows its condition holds for.
type Rule struct {
	Segment string
	When    string
}

// compile compiles a rule once against the typed environment, as a boolean. now() is disabled: a rule
// must give the same answer whenever it runs, so dates come from as_of. (expr's date("2024-01-31") is
// midnight UTC, as DATE columns and as_of are; TestRuleDatesAreUTCWhereverTheRunHappens holds it there.)
func compile(src string, env *Env, extra ...expr.Option) (*vm.Program, error) {
	opts := []expr.Option{expr.Env(env.build()), expr.AsBool(), expr.DisableBuiltin("now")}
	return expr.Compile(src, append(opts, extra...)...)
}

// Set is a segmentation's rules, compiled once for a run.
type Set struct {
	rules []compiledRule
	// columns are the input columns any rule reads; batches hand them to the rules in this order.
	columns []string
	kinds   []vkind
	multi   bool
	// segments are the segment names by code: the rules' segments in order, then else (if any).
	segments []string
	elseCode int16
	env      *Env
	vars     map[string]any
	asOf     time.Time
}

type compiledRule struct {
	Rule
	code    int16
	program *vm.Program
	// checked is the unoptimised, type-checked tree the kernel is built from.
	checked ast.Node
	// reads are indexes into Set.columns of the columns the rule reads: a NULL in any of them means the
	// rule does not match.
	reads []int
}

// MaxMultiRules bounds rules in a multi segmentation, whose matches are kept as a 64-bit set per row.
const MaxMultiRules = 64

// Compile compiles every rule against the input's typed columns. elseSegment ("" for none) takes the rows
// no rule matched; a multi segmentation assigns every matching rule's segment instead of the first.
func Compile(list []Rule, elseSegment string, multi bool, env *Env) (*Set, error) {
	if multi && len(list) > MaxMultiRules {
		return nil, fmt.Errorf("a multi segmentation takes at most %d rules", MaxMultiRules)
	}
	rs := &Set{multi: multi, elseCode: -1, env: env, vars: map[string]any{}}
	for _, v := range env.Vars {
		if v.Name == AsOf {
			rs.asOf = v.Value.(time.Time)
		} else {
			rs.vars[v.Name] = v.Value
		}
	}
	colIndex := map[string]int{}
	allCols := append(slices.Clone(env.Columns), env.Extra...)
	for i, r := range list {
		prog, err := compile(r.When, env)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i+1, r.Segment, err)
		}
		checked, err := compile(r.When, env, expr.Optimize(false))
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i+1, r.Segment, err)
		}
		cr := compiledRule{Rule: r, code: int16(i), program: prog, checked: checked.Node()}
		for _, name := range identifiers(cr.checked) {
			j := slices.IndexFunc(allCols, func(c Column) bool { return c.Name == name })
			if j < 0 {
				continue // vars, as_of, or a name expr resolved otherwise
			}
			idx, ok := colIndex[name]
			if !ok {
				idx = len(rs.columns)
				colIndex[name] = idx
				rs.columns = append(rs.columns, name)
				rs.kinds = append(rs.kinds, kindOf(reflect.TypeOf(ZeroValue(allCols[j].Type))))
			}
			cr.reads = append(cr.reads, idx)
		}
		rs.rules = append(rs.rules, cr)
		rs.segments = append(rs.segments, r.Segment)
	}
	if elseSegment != "" {
		rs.elseCode = int16(len(rs.segments))
		rs.segments = append(rs.segments, elseSegment)
	}
	return rs, nil
}

// identifiers lists the names a rule reads, in order of first appearance.
func identifiers(n ast.Node) []string {
	var names []string
	ast.Find(n, func(x ast.Node) bool {
		if id, ok := x.(*ast.IdentifierNode); ok && !slices.Contains(names, id.Value) {
			names = append(names, id.Value)
		}
		return false
	})
	return names
}

// Rules are the set's rules, in order.
func (rs *Set) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.Rule
	}
	return out
}

// Columns are the input columns the rules read, in the order Evaluate wants their positions.
func (rs *Set) Columns() []string { return rs.columns }

// Segments are the segment names by code: the rules' segments in order, then the else segment (if any).
func (rs *Set) Segments() []string { return rs.segments }

// Multi says whether every matching rule assigns its segment (BatchResult.Sets), not the first (Codes).
func (rs *Set) Multi() bool { return rs.multi }

// Else is the segment of rows no rule matched, if the segmentation has one.
func (rs *Set) Else() (string, bool) {
	if rs.elseCode < 0 {
		return "", false
	}
	return rs.segments[rs.elseCode], true
}
