package spec

import (
	"cmp"
	"fmt"
	"slices"
)

// Severity says whether a diagnostic fails validation.
type Severity string

const (
	// Error makes the spec invalid.
	Error Severity = "error"
	// Warning is reported but does not fail validation.
	Warning Severity = "warning"
)

// Pos is a 1-based line and column in a file; zero when unknown.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Diagnostic is one problem found in a spec, located in a file.
// CodeUnreadable is the code of a file the spec names that exists but cannot be read (permissions, a
// directory where a file was expected): the environment failed, not the spec, so segrun exits 3.
const CodeUnreadable = "file.unreadable"

type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	// Code is a stable identifier of the kind of problem (schema.unknown_key, ref.unknown, rule.type...).
	Code    string `json:"code"`
	Message string `json:"message"`
	// Suggestion is the likely intended value, when one is obvious.
	Suggestion string `json:"suggestion,omitempty"`
	// Path is the JSON pointer of the spec element concerned, when there is one.
	Path string `json:"path,omitempty"`
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, d.Line, d.Column, d.Severity, d.Message)
}

// Diagnostics is an ordered collection of problems.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == Error })
}

// Count returns the number of errors and warnings.
func (ds Diagnostics) Count() (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders diagnostics by file, then position, then message, so output is stable whatever order the
// checks ran in.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Message, b.Message))
	})
}
