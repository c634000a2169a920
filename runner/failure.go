package runner

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/sql"
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

// sqlFailure classifies a DuckDB error from a step: the statement's or the data's fault is a Failure
// (exit 1); the machine's (memory, disk, an interrupt) is returned as an environment error (exit 3), with
// advice when there is some.
func sqlFailure(step, context string, err error, query string) error {
	se := sql.ParseError(err, query)
	if !se.Environmental() {
		return failf(step, "%s%s", context, se.Msg)
	}
	return fmt.Errorf("%s: %s%s%s", step, context, se.Error(), advice(se))
}

// environmentError is the failure of one of segrun's own statements (publishing, say), which only the
// machine can cause: exit 3, with advice when there is some.
func environmentError(err error) error {
	if !sql.IsEngineError(err) {
		return err
	}
	return fmt.Errorf("%w%s", err, advice(sql.ParseError(err, "")))
}

func advice(se *sql.Error) string {
	if se.Class() == sql.OutOfMemory {
		return " (give DuckDB more room with --memory-limit, or fewer --threads; above the limit it spills to --temp-dir, but some operations need their working set in memory)"
	}
	return ""
}
