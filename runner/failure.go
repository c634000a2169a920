package runner

import (
	"fmt"
	"strings"
)

// Failure is a run stopped by its data or its spec, not by the environment: a failing blocking test, a
// broken column contract, duplicate entities, a refused version. The CLI exits 1 for it (3 for anything
// else).
type Failure struct {
	// Step names where the run stopped ("source orders", "feature rfm"...); empty for the run as a whole.
	Step string
	Msg  string
	// Details are extra lines: samples of offending rows, other failing tests.
	Details []string
}

func (f *Failure) Error() string {
	var b strings.Builder
	if f.Step != "" {
		b.WriteString(f.Step + ": ")
	}
	b.WriteString(f.Msg)
	for _, d := range f.Details {
		b.WriteString("\n  " + d)
	}
	return b.String()
}

func failf(step, format string, args ...any) *Failure {
	return &Failure{Step: step, Msg: fmt.Sprintf(format, args...)}
}
