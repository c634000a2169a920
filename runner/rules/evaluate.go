package rules

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/expr-lang/expr/vm"

	"github.com/segrun/segrun/internal/panics"
)

// worker evaluates rules on batches: it owns one kernel tree per rule (kernels keep their buffers) and
// one expr VM for the rules evaluated row by row.
type worker struct {
	rs      *Set
	kernels []knode
	vm      vm.VM
	env     map[string]any
	batch   kbatch
	nulls   []bool
	matches [][]bool
}

func (rs *Set) newWorker() *worker {
	w := &worker{rs: rs, kernels: make([]knode, len(rs.rules)), matches: make([][]bool, len(rs.rules))}
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
func (rs *Set) kernelled() []bool {
	w := rs.newWorker()
	out := make([]bool, len(rs.rules))
	for i, k := range w.kernels {
		out[i] = k != nil
	}
	return out
}

// BatchResult is the outcome for one batch: a segment code per row (an index into Set.Segments: the first
// match, or else, or -1), or for multi segmentations a set of matching rules per row (bit i for rule i); and
// per rule, the rows it skipped for a NULL (or NaN).
type BatchResult struct {
	Codes       []int16
	Sets        []uint64
	nullSkipped []int64
	matched     []int64
}

// evaluate runs every rule over one batch of columns.
func (w *worker) evaluate(cols []*vec, nulls [][]bool, n int) (*BatchResult, error) {
	rs := w.rs
	w.batch.n, w.batch.cols = n, cols
	res := &BatchResult{nullSkipped: make([]int64, len(rs.rules)), matched: make([]int64, len(rs.rules))}
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
func (w *worker) recordNulls(ri int, rowNull []bool, res *BatchResult) {
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

func (w *worker) assign(res *BatchResult, n int) {
	rs := w.rs
	if rs.multi {
		res.Sets = make([]uint64, n)
		for ri := range rs.rules {
			bit := uint64(1) << ri
			for i, hit := range w.matches[ri] {
				if hit {
					res.Sets[i] |= bit
					res.matched[ri]++
				}
			}
		}
		return
	}
	res.Codes = make([]int16, n)
	for i := range res.Codes {
		res.Codes[i] = -1
	}
	for ri := len(rs.rules) - 1; ri >= 0; ri-- { // last to first, so the first match writes last and wins
		code := rs.rules[ri].code
		for i, hit := range w.matches[ri] {
			if hit {
				res.Codes[i] = code
			}
		}
	}
	for i, c := range res.Codes {
		if c >= 0 {
			res.matched[c]++
		} else {
			res.Codes[i] = rs.elseCode
		}
	}
}

// Stats sums batch results per rule: rows matched and rows skipped for a NULL (or NaN), by rule index;
// rows x rules evaluated, and the time it took.
type Stats struct {
	Matched     []int64
	NullSkipped []int64
	Evaluations int64
	Seconds     float64
}

// Evaluate runs the rules over every batch, in parallel across workers (one worker each; 0 for one per
// CPU), and returns the results in batch order, so the outcome does not depend on scheduling. colPos are
// the batch columns holding Columns(), in order. A rule failing on a row, or a value the engine cannot
// hold, is a *RowError.
func (rs *Set) Evaluate(ctx context.Context, batches []arrow.RecordBatch, colPos []int, workers int) ([]*BatchResult, *Stats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	start := time.Now()
	results := make([]*BatchResult, len(batches))
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
							if ve, ok := err.(*valueError); ok {
								errs[bi] = &RowError{Row: ve.row, Rule: -1, Columns: []int{c}, Msg: "column " + rs.columns[c] + ": " + ve.msg}
							}
							break
						}
					}
					if errs[bi] == nil {
						results[bi], errs[bi] = w.evaluate(cols, nulls, n)
					}
					if re, ok := errs[bi].(*RowError); ok {
						re.Batch = bi
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
	stats := &Stats{Matched: make([]int64, len(rs.rules)), NullSkipped: make([]int64, len(rs.rules))}
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

// Report is one rule's outcome in a run.
type Report struct {
	Segment string `json:"segment"`
	When    string `json:"when"`
	Matched int64  `json:"matched"`
	// NullSkipped counts rows that reached the rule (no earlier rule matched) but read a NULL.
	NullSkipped int64 `json:"null_skipped"`
	// Kernel says whether the rule ran as column kernels (else row by row in expr's VM).
	Kernel bool `json:"kernel"`
}

// Report tells each rule's outcome from the stats of an Evaluate.
func (rs *Set) Report(stats *Stats) []Report {
	kernels := rs.kernelled()
	out := make([]Report, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = Report{Segment: r.Segment, When: r.When, Matched: stats.Matched[i], NullSkipped: stats.NullSkipped[i], Kernel: kernels[i]}
	}
	return out
}
