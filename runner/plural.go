package runner

import "fmt"

// Counts in messages agree with their number: "1 row does not parse", "3 rows do not parse".

func rowsCount(n int64) string   { return counted(n, "row", "rows") }
func valuesCount(n int64) string { return counted(n, "value", "values") }

func counted(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func doOrDoes(n int64) string {
	if n == 1 {
		return "does"
	}
	return "do"
}

func isOrAre(n int64) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
