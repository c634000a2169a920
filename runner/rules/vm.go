package rules

import (
	"errors"
	"time"

	"github.com/expr-lang/expr/file"
)

// evalVM evaluates a rule the kernels cannot express, row by row in expr's VM.
func (w *worker) evalVM(ri int, cols []*vec, rowNull []bool, out []bool) error {
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
				msg = fe.Message // without the snippet: the caller's message quotes the rule
			}
			return &RowError{Row: i, Rule: ri, Columns: r.reads, Msg: msg}
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
