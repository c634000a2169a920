package rules

import (
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
)

// Rules are written in expr-lang and type-checked by expr, but evaluated column at a time: expr's VM boxes
// every value it loads into an interface, which costs ~200 ns per rule and row (measured: 5M evaluations
// per second per core), while a loop over a column of int64 costs a few. A kernel is a tree of column
// operations built from expr's checked AST; rules using constructs the kernels do not cover fall back to
// the VM, row by row, with identical results.

// vkind is the type of a column vector.
type vkind uint8

const (
	kInt vkind = iota + 1
	kFloat
	kStr
	kBool
	kTime // unix microseconds in vec.i
)

func (k vkind) String() string {
	if k == kDuration {
		return "a duration"
	}
	return [...]string{"?", "an integer", "a number", "text", "a boolean", "a time"}[min(int(k), 5)]
}

func kindOf(t reflect.Type) vkind {
	if t == nil {
		return 0
	}
	if t == reflect.TypeOf(time.Time{}) {
		return kTime
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		return kInt
	case reflect.Float64, reflect.Float32:
		return kFloat
	case reflect.String:
		return kStr
	case reflect.Bool:
		return kBool
	}
	return 0
}

// vec is a column of a batch, or an intermediate result: one typed slice of length n is used.
type vec struct {
	kind vkind
	i    []int64
	f    []float64
	s    []string
	b    []bool
}

// kbatch is the input of one evaluation: the rule columns of a batch of rows.
type kbatch struct {
	n    int
	cols []*vec
}

// knode is a kernel: it computes a vector from a batch. The returned vector is owned by the node and
// valid until its next eval, so a kernel tree belongs to one worker.
type knode interface {
	kind() vkind
	eval(b *kbatch) *vec
}

// kernelBuilder turns a checked expr AST into a kernel tree, or reports that it cannot.
type kernelBuilder struct {
	columns map[string]int // rule column name -> index in kbatch.cols
	kinds   []vkind
	vars    map[string]any
	asOf    time.Time
}

func (kb *kernelBuilder) build(n ast.Node) (knode, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		if i, ok := kb.columns[x.Value]; ok {
			return &kcol{idx: i, k: kb.kinds[i]}, true
		}
		if x.Value == AsOf {
			return &kconst{k: kTime, i: kb.asOf.UnixMicro()}, true
		}
	case *ast.MemberNode:
		id, ok1 := x.Node.(*ast.IdentifierNode)
		prop, ok2 := x.Property.(*ast.StringNode)
		if ok1 && ok2 && id.Value == "vars" && !x.Optional {
			if v, ok := kb.vars[prop.Value]; ok {
				return constant(v)
			}
		}
	case *ast.IntegerNode:
		return &kconst{k: kInt, i: int64(x.Value)}, true
	case *ast.FloatNode:
		return &kconst{k: kFloat, f: x.Value}, true
	case *ast.StringNode:
		return &kconst{k: kStr, s: x.Value}, true
	case *ast.BoolNode:
		return &kconst{k: kBool, bv: x.Value}, true
	case *ast.UnaryNode:
		c, ok := kb.build(x.Node)
		if !ok {
			return nil, false
		}
		switch x.Operator {
		case "!", "not":
			if c.kind() == kBool {
				return &knot{c: c}, true
			}
		case "-":
			if c.kind() == kInt || c.kind() == kFloat {
				return &kneg{c: c}, true
			}
		case "+":
			if c.kind() == kInt || c.kind() == kFloat {
				return c, true
			}
		}
	case *ast.BinaryNode:
		return kb.binary(x)
	}
	return nil, false
}

func constant(v any) (knode, bool) {
	switch x := v.(type) {
	case int64:
		return &kconst{k: kInt, i: x}, true
	case int:
		return &kconst{k: kInt, i: int64(x)}, true
	case float64:
		return &kconst{k: kFloat, f: x}, true
	case string:
		return &kconst{k: kStr, s: x}, true
	case bool:
		return &kconst{k: kBool, bv: x}, true
	case time.Time:
		return &kconst{k: kTime, i: x.UnixMicro()}, true
	}
	return nil, false
}

func (kb *kernelBuilder) binary(x *ast.BinaryNode) (knode, bool) {
	if x.Operator == "in" || x.Operator == "not in" {
		return kb.in(x)
	}
	l, ok := kb.build(x.Left)
	if !ok {
		return nil, false
	}
	r, ok := kb.build(x.Right)
	if !ok {
		return nil, false
	}
	lk, rk := l.kind(), r.kind()
	numeric := (lk == kInt || lk == kFloat) && (rk == kInt || rk == kFloat)
	switch x.Operator {
	case "&&", "and", "||", "or":
		if lk == kBool && rk == kBool {
			return &klogic{and: x.Operator == "&&" || x.Operator == "and", l: l, r: r}, true
		}
	case "==", "!=", "<", "<=", ">", ">=":
		switch {
		case numeric && lk == kInt && rk == kInt:
			return &kcmp{op: x.Operator, mode: kInt, l: l, r: r}, true
		case numeric:
			return &kcmp{op: x.Operator, mode: kFloat, l: toFloat64(l), r: toFloat64(r)}, true
		case lk == rk && (lk == kStr || lk == kTime):
			return &kcmp{op: x.Operator, mode: lk, l: l, r: r}, true
		case lk == kBool && rk == kBool && (x.Operator == "==" || x.Operator == "!="):
			return &kcmp{op: x.Operator, mode: kBool, l: l, r: r}, true
		}
	case "+", "-", "*":
		if numeric {
			if lk == kInt && rk == kInt {
				return &karith{op: x.Operator, mode: kInt, l: l, r: r}, true
			}
			return &karith{op: x.Operator, mode: kFloat, l: toFloat64(l), r: toFloat64(r)}, true
		}
	case "/", "**", "^":
		// expr divides in floating point, whatever the operand types.
		if numeric {
			return &karith{op: x.Operator, mode: kFloat, l: toFloat64(l), r: toFloat64(r)}, true
		}
	case "contains", "startsWith", "endsWith":
		if lk == kStr && rk == kStr {
			return &kstr{op: x.Operator, l: l, r: r}, true
		}
	}
	return nil, false
}

// in handles membership in a literal list: country in ['GB', 'DE'], frequency in [1, 2, 3].
func (kb *kernelBuilder) in(x *ast.BinaryNode) (knode, bool) {
	arr, ok := x.Right.(*ast.ArrayNode)
	if !ok {
		return nil, false
	}
	l, ok := kb.build(x.Left)
	if !ok {
		return nil, false
	}
	n := &kin{c: l, not: x.Operator == "not in"}
	for _, e := range arr.Nodes {
		c, ok := kb.build(e)
		if !ok {
			return nil, false
		}
		k, isConst := c.(*kconst)
		if !isConst {
			return nil, false
		}
		switch {
		case l.kind() == kStr && k.k == kStr:
			n.strs = append(n.strs, k.s)
		case l.kind() == kInt && k.k == kInt:
			n.ints = append(n.ints, k.i)
		case (l.kind() == kInt || l.kind() == kFloat) && (k.k == kInt || k.k == kFloat):
			n.floats = append(n.floats, k.float())
		default:
			return nil, false
		}
	}
	if l.kind() == kInt && len(n.floats) > 0 {
		n.c = toFloat64(l)
		for _, i := range n.ints {
			n.floats = append(n.floats, float64(i))
		}
		n.ints = nil
	}
	return n, true
}

func toFloat64(n knode) knode {
	if n.kind() == kFloat {
		return n
	}
	if c, ok := n.(*kconst); ok {
		return &kconst{k: kFloat, f: float64(c.i)}
	}
	return &kcast{c: n}
}

// buffers grow a node's output to n rows, reusing the previous batch's storage.
func (v *vec) boolsFor(n int) []bool {
	if cap(v.b) < n {
		v.b = make([]bool, n)
	}
	v.b = v.b[:n]
	return v.b
}

func (v *vec) intsFor(n int) []int64 {
	if cap(v.i) < n {
		v.i = make([]int64, n)
	}
	v.i = v.i[:n]
	return v.i
}

func (v *vec) floatsFor(n int) []float64 {
	if cap(v.f) < n {
		v.f = make([]float64, n)
	}
	v.f = v.f[:n]
	return v.f
}

type kcol struct {
	idx int
	k   vkind
}

func (c *kcol) kind() vkind         { return c.k }
func (c *kcol) eval(b *kbatch) *vec { return b.cols[c.idx] }

type kconst struct {
	k   vkind
	i   int64
	f   float64
	s   string
	bv  bool
	out vec
}

func (c *kconst) kind() vkind { return c.k }

func (c *kconst) float() float64 {
	if c.k == kInt {
		return float64(c.i)
	}
	return c.f
}

func (c *kconst) eval(b *kbatch) *vec {
	o := &c.out
	o.kind = c.k
	switch c.k {
	case kInt, kTime:
		fill(o.intsFor(b.n), c.i)
	case kFloat:
		fill(o.floatsFor(b.n), c.f)
	case kBool:
		fill(o.boolsFor(b.n), c.bv)
	case kStr:
		if cap(o.s) < b.n {
			o.s = make([]string, b.n)
		}
		o.s = o.s[:b.n]
		fill(o.s, c.s)
	}
	return o
}

func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

type kcast struct {
	c   knode
	out vec
}

func (k *kcast) kind() vkind { return kFloat }

func (k *kcast) eval(b *kbatch) *vec {
	in := k.c.eval(b).i
	out := k.out.floatsFor(b.n)
	for i := range out {
		out[i] = float64(in[i])
	}
	k.out.kind = kFloat
	return &k.out
}

type kcmp struct {
	op   string
	mode vkind
	l, r knode
	out  vec
}

func (k *kcmp) kind() vkind { return kBool }

func (k *kcmp) eval(b *kbatch) *vec {
	out := k.out.boolsFor(b.n)
	k.out.kind = kBool
	lv, rv := k.l.eval(b), k.r.eval(b)
	switch k.mode {
	case kInt, kTime:
		compare(k.op, lv.i[:b.n], rv.i[:b.n], out)
	case kFloat:
		compare(k.op, lv.f[:b.n], rv.f[:b.n], out)
	case kStr:
		compare(k.op, lv.s[:b.n], rv.s[:b.n], out)
	case kBool:
		for i := range out {
			out[i] = (lv.b[i] == rv.b[i]) == (k.op == "==")
		}
	}
	return &k.out
}

type ordered interface{ ~int64 | ~float64 | ~string }

// compare is the hot loop of most rules; one tight loop per operator keeps the branch out of it.
func compare[T ordered](op string, l, r []T, out []bool) {
	switch op {
	case "==":
		for i := range out {
			out[i] = l[i] == r[i]
		}
	case "!=":
		for i := range out {
			out[i] = l[i] != r[i]
		}
	case "<":
		for i := range out {
			out[i] = l[i] < r[i]
		}
	case "<=":
		for i := range out {
			out[i] = l[i] <= r[i]
		}
	case ">":
		for i := range out {
			out[i] = l[i] > r[i]
		}
	case ">=":
		for i := range out {
			out[i] = l[i] >= r[i]
		}
	}
}

type karith struct {
	op   string
	mode vkind
	l, r knode
	out  vec
}

func (k *karith) kind() vkind { return k.mode }

func (k *karith) eval(b *kbatch) *vec {
	lv, rv := k.l.eval(b), k.r.eval(b)
	k.out.kind = k.mode
	if k.mode == kInt {
		arithmetic(k.op, lv.i, rv.i, k.out.intsFor(b.n))
		return &k.out
	}
	out := k.out.floatsFor(b.n)
	switch k.op {
	case "/":
		for i := range out {
			out[i] = lv.f[i] / rv.f[i]
		}
	case "**", "^":
		for i := range out {
			out[i] = math.Pow(lv.f[i], rv.f[i])
		}
	default:
		arithmetic(k.op, lv.f, rv.f, out)
	}
	return &k.out
}

// arithmetic applies +, - or * element-wise; one loop per operator keeps the branch out of it.
func arithmetic[T int64 | float64](op string, l, r, out []T) {
	switch op {
	case "+":
		for i := range out {
			out[i] = l[i] + r[i]
		}
	case "-":
		for i := range out {
			out[i] = l[i] - r[i]
		}
	case "*":
		for i := range out {
			out[i] = l[i] * r[i]
		}
	}
}

type kneg struct {
	c   knode
	out vec
}

func (k *kneg) kind() vkind { return k.c.kind() }

func (k *kneg) eval(b *kbatch) *vec {
	in := k.c.eval(b)
	k.out.kind = in.kind
	if in.kind == kInt {
		out := k.out.intsFor(b.n)
		for i := range out {
			out[i] = -in.i[i]
		}
		return &k.out
	}
	out := k.out.floatsFor(b.n)
	for i := range out {
		out[i] = -in.f[i]
	}
	return &k.out
}

type klogic struct {
	and  bool
	l, r knode
	out  vec
}

func (k *klogic) kind() vkind { return kBool }

func (k *klogic) eval(b *kbatch) *vec {
	out := k.out.boolsFor(b.n)
	k.out.kind = kBool
	l := k.l.eval(b).b
	copy(out, l) // the right side may reuse buffers of the left's subtree; keep the left's result first
	r := k.r.eval(b).b
	if k.and {
		for i := range out {
			out[i] = out[i] && r[i]
		}
	} else {
		for i := range out {
			out[i] = out[i] || r[i]
		}
	}
	return &k.out
}

type knot struct {
	c   knode
	out vec
}

func (k *knot) kind() vkind { return kBool }

func (k *knot) eval(b *kbatch) *vec {
	in := k.c.eval(b).b
	out := k.out.boolsFor(b.n)
	k.out.kind = kBool
	for i := range out {
		out[i] = !in[i]
	}
	return &k.out
}

type kin struct {
	c      knode
	not    bool
	ints   []int64
	floats []float64
	strs   []string
	out    vec
}

func (k *kin) kind() vkind { return kBool }

func (k *kin) eval(b *kbatch) *vec {
	in := k.c.eval(b)
	out := k.out.boolsFor(b.n)
	k.out.kind = kBool
	switch in.kind {
	case kInt:
		member(in.i[:b.n], k.ints, out)
	case kFloat:
		member(in.f[:b.n], k.floats, out)
	case kStr:
		member(in.s[:b.n], k.strs, out)
	}
	if k.not {
		for i := range out {
			out[i] = !out[i]
		}
	}
	return &k.out
}

// member tests each value against a short literal list; lists in rules are a handful of values, for which
// a linear scan beats hashing.
func member[T comparable](vals, set []T, out []bool) {
	for i, v := range vals {
		hit := false
		for _, s := range set {
			if v == s {
				hit = true
				break
			}
		}
		out[i] = hit
	}
}

type kstr struct {
	op   string
	l, r knode
	out  vec
}

func (k *kstr) kind() vkind { return kBool }

func (k *kstr) eval(b *kbatch) *vec {
	l, r := k.l.eval(b).s, k.r.eval(b).s
	out := k.out.boolsFor(b.n)
	k.out.kind = kBool
	var f func(string, string) bool
	switch k.op {
	case "contains":
		f = strings.Contains
	case "startsWith":
		f = strings.HasPrefix
	default:
		f = strings.HasSuffix
	}
	for i := range out {
		out[i] = f(l[i], r[i])
	}
	return &k.out
}
