package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"

	"github.com/segrun/segrun/internal/panics"
)

// ruleSet is a segmentation's rules, compiled once for a run.
type ruleSet struct {
	rules []compiledRule
	// columns are the input columns any rule reads; batches hand them to the rules in this order.
	columns []string
	kinds   []vkind
	multi   bool
	// segments are the segment names by code: the rules' segments in order, then else (if any).
	segments []string
	elseCode int16
	env      *RuleEnv
	vars     map[string]any
	asOf     time.Time
}

type compiledRule struct {
	segment string
	src     string
	code    int16
	program *vm.Program
	// checked is the unoptimised, type-checked tree the kernel is built from.
	checked ast.Node
	// reads are indexes into ruleSet.columns of the columns the rule reads: a NULL in any of them means the
	// rule does not match.
	reads []int
}

// maxMultiRules bounds rules in a multi segmentation, whose matches are kept as a 64-bit set per row.
const maxMultiRules = 64

// compileRules compiles every rule against the input's typed columns.
func compileRules(rules []spec.Rule, elseSegment string, multi bool, env *RuleEnv) (*ruleSet, error) {
	if multi && len(rules) > maxMultiRules {
		return nil, fmt.Errorf("a multi segmentation takes at most %d rules", maxMultiRules)
	}
	rs := &ruleSet{multi: multi, elseCode: -1, env: env, vars: map[string]any{}}
	for _, v := range env.Vars {
		if v.Name == AsOfVar {
			rs.asOf = v.Value.(time.Time)
		} else {
			rs.vars[v.Name] = v.Value
		}
	}
	colIndex := map[string]int{}
	allCols := append(slices.Clone(env.Columns), env.Extra...)
	for i, r := range rules {
		prog, err := CompileRule(r.When, env)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i+1, r.Segment, err)
		}
		checked, err := CompileRule(r.When, env, expr.Optimize(false))
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i+1, r.Segment, err)
		}
		cr := compiledRule{segment: r.Segment, src: r.When, code: int16(i), program: prog, checked: checked.Node()}
		for _, name := range identifiers(cr.checked) {
			j := slices.IndexFunc(allCols, func(c sql.Column) bool { return c.Name == name })
			if j < 0 {
				continue // vars, as_of, or a name expr resolved otherwise
			}
			idx, ok := colIndex[name]
			if !ok {
				idx = len(rs.columns)
				colIndex[name] = idx
				rs.columns = append(rs.columns, name)
				rs.kinds = append(rs.kinds, kindOf(reflectTypeOf(ruleType(allCols[j].Type))))
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

// ruleWorker evaluates rules on batches: it owns one kernel tree per rule (kernels keep their buffers) and
// one expr VM for the rules evaluated row by row.
type ruleWorker struct {
	rs      *ruleSet
	kernels []knode
	vm      vm.VM
	env     map[string]any
	batch   kbatch
	nulls   []bool
	matches [][]bool
}

func (rs *ruleSet) newWorker() *ruleWorker {
	w := &ruleWorker{rs: rs, kernels: make([]knode, len(rs.rules)), matches: make([][]bool, len(rs.rules))}
	kb := &kernelBuilder{columns: map[string]int{}, kinds: rs.kinds, vars: rs.vars, asOf: rs.asOf}
	for i, c := range rs.columns {
		kb.columns[c] = i
	}
	for i, r := range rs.rules {
		if k, ok := kb.build(r.checked); ok && k.kind() == kBool {
			w.kernels[i] = k
		}
	}
	w.env = map[string]any{}
	for k, v := range rs.env.build() {
		w.env[k] = v
	}
	return w
}

// kernelled reports which rules run as kernels, for tests and the run summary.
func (rs *ruleSet) kernelled() []bool {
	w := rs.newWorker()
	out := make([]bool, len(rs.rules))
	for i, k := range w.kernels {
		out[i] = k != nil
	}
	return out
}

// batchResult is the outcome for one batch: a segment code per row (first match, or else, or -1), or for
// multi segmentations a set of matching rules per row; and per rule, the rows it skipped for a NULL (or NaN).
type batchResult struct {
	codes       []int16
	sets        []uint64
	nullSkipped []int64
	matched     []int64
}

// evaluate runs every rule over one batch of columns.
func (w *ruleWorker) evaluate(cols []*vec, nulls [][]bool, n int) (*batchResult, error) {
	rs := w.rs
	w.batch.n, w.batch.cols = n, cols
	res := &batchResult{nullSkipped: make([]int64, len(rs.rules)), matched: make([]int64, len(rs.rules))}
	if cap(w.nulls) < n {
		w.nulls = make([]bool, n)
	}
	rowNull := w.nulls[:n]
	for ri, r := range rs.rules {
		// A rule that reads a NULL (or NaN) does not match: work out which rows it cannot judge.
		clear(rowNull)
		for _, c := range r.reads {
			if nl := nulls[c]; nl != nil {
				for i, isNull := range nl[:n] {
					rowNull[i] = rowNull[i] || isNull
				}
			}
		}
		m := w.matches[ri]
		if cap(m) < n {
			m = make([]bool, n)
		}
		m = m[:n]
		if k := w.kernels[ri]; k != nil {
			copy(m, k.eval(&w.batch).b)
		} else if err := w.evalVM(ri, cols, rowNull, m); err != nil {
			return nil, err
		}
		for i := range m {
			if rowNull[i] {
				m[i] = false
			}
		}
		w.matches[ri] = m
		w.recordNulls(ri, rowNull, res)
	}
	w.assign(res, n)
	return res, nil
}

// recordNulls counts, per rule, the rows it skipped for a NULL or NaN among those that reached it (no earlier
// rule matched): those are the rows whose segment a data gap decided.
func (w *ruleWorker) recordNulls(ri int, rowNull []bool, res *batchResult) {
	var skipped int64
	for i, isNull := range rowNull {
		if !isNull {
			continue
		}
		reached := true
		if !w.rs.multi {
			for prev := 0; prev < ri; prev++ {
				if w.matches[prev][i] {
					reached = false
					break
				}
			}
		}
		if reached {
			skipped++
		}
	}
	res.nullSkipped[ri] = skipped
}

func (w *ruleWorker) assign(res *batchResult, n int) {
	rs := w.rs
	if rs.multi {
		res.sets = make([]uint64, n)
		for ri := range rs.rules {
			bit := uint64(1) << ri
			for i, hit := range w.matches[ri] {
				if hit {
					res.sets[i] |= bit
					res.matched[ri]++
				}
			}
		}
		return
	}
	res.codes = make([]int16, n)
	for i := range res.codes {
		res.codes[i] = -1
	}
	for ri := len(rs.rules) - 1; ri >= 0; ri-- { // last to first, so the first match writes last and wins
		code := rs.rules[ri].code
		for i, hit := range w.matches[ri] {
			if hit {
				res.codes[i] = code
			}
		}
	}
	for i, c := range res.codes {
		if c >= 0 {
			res.matched[c]++
		} else {
			res.codes[i] = rs.elseCode
		}
	}
}

// evalVM evaluates a rule the kernels cannot express, row by row in expr's VM.
func (w *ruleWorker) evalVM(ri int, cols []*vec, rowNull []bool, out []bool) error {
	r := w.rs.rules[ri]
	for i := range out {
		out[i] = false
		if rowNull[i] {
			continue
		}
		for _, c := range r.reads {
			w.env[w.rs.columns[c]] = cols[c].value(i)
		}
		v, err := w.vm.Run(r.program, w.env)
		if err != nil {
			msg := err.Error()
			var fe *file.Error
			if errors.As(err, &fe) {
				msg = fe.Message // without the snippet: the Failure quotes the rule
			}
			return &ruleRowError{row: i, rule: ri, columns: r.reads, msg: msg}
		}
		out[i], _ = v.(bool)
	}
	return nil
}

// value is row i as the Go value expr expects for the column's type.
func (v *vec) value(i int) any {
	switch v.kind {
	case kInt:
		return int(v.i[i])
	case kFloat:
		return v.f[i]
	case kStr:
		return v.s[i]
	case kBool:
		return v.b[i]
	case kTime:
		return time.UnixMicro(v.i[i]).UTC()
	}
	return nil
}

// ruleStats sums batch results per rule.
type ruleStats struct {
	Matched     []int64
	NullSkipped []int64
	Evaluations int64
	Seconds     float64
}

// evaluateAll runs the rules over every batch, in parallel across workers (one ruleWorker each), and
// returns the results in batch order, so the outcome does not depend on scheduling.
func (rs *ruleSet) evaluateAll(ctx context.Context, batches []arrow.RecordBatch, colPos []int, workers int) ([]*batchResult, *ruleStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	results := make([]*batchResult, len(batches))
	errs := make([]error, len(batches))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(1, len(batches))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := rs.newWorker()
			cols := make([]*vec, len(rs.columns))
			nulls := make([][]bool, len(rs.columns))
			for bi := range next {
				// A panic becomes the batch's error: this goroutine must go on taking batches (the sender
				// waits for it), and a panic here would end the process.
				func() {
					defer panics.ToError(&errs[bi])
					rec := batches[bi]
					n := int(rec.NumRows())
					for c := range rs.columns {
						if cols[c] == nil {
							cols[c] = &vec{}
						}
						var err error
						if nulls[c], err = fromArrow(rec.Column(colPos[c]), rs.kinds[c], cols[c], nulls[c]); err != nil {
							errs[bi] = fmt.Errorf("column %s: %w", rs.columns[c], err)
							if ve, ok := err.(*ruleValueError); ok {
								errs[bi] = &ruleRowError{row: ve.row, rule: -1, columns: []int{c}, msg: "column " + rs.columns[c] + ": " + ve.msg}
							}
							break
						}
					}
					if errs[bi] == nil {
						results[bi], errs[bi] = w.evaluate(cols, nulls, n)
					}
					if re, ok := errs[bi].(*ruleRowError); ok {
						re.batch = bi
					}
				}()
			}
		}()
	}
	for bi := range batches {
		if ctx.Err() != nil {
			break
		}
		next <- bi
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	stats := &ruleStats{Matched: make([]int64, len(rs.rules)), NullSkipped: make([]int64, len(rs.rules))}
	for bi, r := range results {
		if errs[bi] != nil {
			return nil, nil, errs[bi]
		}
		for i := range rs.rules {
			stats.Matched[i] += r.matched[i]
			stats.NullSkipped[i] += r.nullSkipped[i]
		}
		stats.Evaluations += batches[bi].NumRows() * int64(len(rs.rules))
	}
	stats.Seconds = time.Since(start).Seconds()
	return results, stats, nil
}

// ruleRowError is the rules failing on one row of a batch: a rule expr's VM could not evaluate there
// (int(name) on a name that is no number), or a value the engine cannot hold. It is the data's fault, so
// applyRules makes it the run's Failure, with the row's entity and values.
type ruleRowError struct {
	batch, row int
	rule       int   // index of the failing rule, or -1 for a column's value
	columns    []int // the rule columns (indexes into ruleSet.columns) whose values explain it
	msg        string
}

func (e *ruleRowError) Error() string { return e.msg }

// failure turns e into the run's Failure: the segmentation, the rule as written, and the row. entity is
// the batch column holding the entity; colPos, the batch columns of the rule columns.
func (rs *ruleSet) failure(step string, e *ruleRowError, batches []arrow.RecordBatch, entity string, colPos []int) *Failure {
	f := &Failure{Step: step, Msg: e.msg}
	if e.rule >= 0 {
		r := rs.rules[e.rule]
		f.Msg = fmt.Sprintf("rule %d (%s) %q failed: %s", e.rule+1, r.segment, r.src, e.msg)
	}
	rec := batches[e.batch]
	row := entity + "=" + arrowValueText(rec.Column(0), e.row)
	for _, c := range e.columns {
		row += ", " + rs.columns[c] + "=" + arrowValueText(rec.Column(colPos[c]), e.row)
	}
	f.Details = []string{"for example " + row}
	return f
}
