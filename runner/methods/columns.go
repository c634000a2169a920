package methods

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// Checks of the input columns a method's parameters name, shared by the methods.

// MissingColumn reports a column the spec names at pointer at that the input (from) lacks, with the
// nearest name or, failing that, the columns there are.
func MissingColumn(env CheckEnv, at, col string) {
	names := ColumnNames(env.Input())
	sugg := spec.Nearest(col, names)
	msg := fmt.Sprintf("%s has no column %q", env.Segmentation().From, col)
	if sugg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sugg)
	} else {
		msg += " (it has " + strings.Join(names, ", ") + ")"
	}
	env.ErrorAt(at, "segmentation.column", msg, sugg)
}

// NumericColumn holds the column the spec names at pointer at to a numeric column of the input.
func NumericColumn(env CheckEnv, at, col string) {
	input := env.Input()
	i := slices.IndexFunc(input, func(x sql.Column) bool { return x.Name == col })
	if i < 0 {
		MissingColumn(env, at, col)
		return
	}
	if !IsNumeric(input[i].Type) {
		env.ErrorAt(at, "segmentation.type", fmt.Sprintf("column %q of %s is %s; it must be numeric", col, env.Segmentation().From, input[i].Type), "")
	}
}

// IsNumeric says whether a DuckDB type holds numbers the methods compute with.
func IsNumeric(t string) bool {
	switch z := rules.ZeroValue(t); z.(type) {
	case int, float64:
		return true
	}
	return false
}

// ColumnNames are the columns' names.
func ColumnNames(cols []sql.Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
