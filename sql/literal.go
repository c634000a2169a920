package sql

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Ident quotes an identifier for DuckDB: "my col" with embedded quotes doubled.
func Ident(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// OrderedFields is a value written as a struct literal with its fields in the order given, such as a
// reader option that DuckDB reads by position (read_csv's columns): spec.Map is one.
type OrderedFields interface {
	Fields() (names []string, values []any)
}

// Literal writes a Go value as a DuckDB literal. It is for the few places SQL cannot take a bound
// parameter (reader options in table functions, SET statements); quoting is total, so no value can change
// the statement's structure.
func Literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return fmt.Sprintf("'%v'::DOUBLE", x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return "DATE '" + x.Format(time.DateOnly) + "'"
		}
		return "TIMESTAMP '" + x.Format("2006-01-02 15:04:05.999999") + "'"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = Literal(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []Column:
		// A struct of names and types in order, as read_csv's columns option takes them.
		parts := make([]string, len(x))
		for i, c := range x {
			parts[i] = Literal(c.Name) + ": " + Literal(c.Type)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case OrderedFields:
		names, values := x.Fields()
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = Literal(k) + ": " + Literal(values[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		// Sorted, so that the statement is the same every time; a map has no other order. Options whose
		// order matters come as OrderedFields.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = Literal(k) + ": " + Literal(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return Literal(fmt.Sprint(v))
}
