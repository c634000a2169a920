// Package plural makes counts in messages agree with their number: "1 row does not parse", "3 rows do not
// parse". Shared by the runner's and the engine's messages.
package plural

import "fmt"

// Rows is "1 row" or "n rows".
func Rows(n int64) string { return counted(n, "row", "rows") }

// Values is "1 value" or "n values".
func Values(n int64) string { return counted(n, "value", "values") }

// Entities is "1 entity" or "n entities".
func Entities(n int64) string { return counted(n, "entity", "entities") }

// Form is one for a count of one, many for any other: the word to go with a count, a noun written beside
// a number formatted another way ("1,234 rows") or a verb (Form(n, "fails", "fail")).
func Form(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Do is "does" for one, "do" for any other number.
func Do(n int64) string {
	if n == 1 {
		return "does"
	}
	return "do"
}

// Is is "is" for one, "are" for any other number.
func Is(n int64) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
