package rules

import (
	"fmt"
	"strings"
	"time"
)

// ZeroValue is how a DuckDB column looks to a rule: the Go zero value expr type-checks against, or nil when
// rules cannot read that type (validation then names the column and its type, with unreadableHint).
//
// Every integer type is an int, HUGEINT and UBIGINT included (DuckDB types sum(BIGINT) HUGEINT): the rule
// engine holds integers as int64 and fails the run, naming the row, on a value outside its range rather
// than compare a wrapped one. Not UHUGEINT: DuckDB hands it to Arrow as a signed decimal(38,0), so a value
// from 2^127 up arrives already wrapped (2^128-1 as -1), past anything the engine could check. DECIMALs are doubles (12.34 is 12.34, whatever width DuckDB stores it
// in). DATE and every TIMESTAMP are instants (time.Time, UTC, to the microsecond), compared with as_of, a
// date var or expr's date(). UUIDs are text, as DuckDB hands them over.
func ZeroValue(duckType string) any {
	t := strings.ToUpper(duckType)
	switch {
	case t == "BOOLEAN":
		return false
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT":
		return 0
	case t == "FLOAT" || t == "DOUBLE" || strings.HasPrefix(t, "DECIMAL") || t == "NUMERIC": // NUMERIC: PostgreSQL's unbounded numeric
		return 0.0
	case IsText(t) || t == "UUID":
		return ""
	case t == "DATE" || strings.HasPrefix(t, "TIMESTAMP"): // _S, _MS, _NS, WITH TIME ZONE, TZ as declared
		return time.Time{}
	}
	return nil
}

// unreadableHint suggests the SQL that turns column name of a type rules cannot read into one they can.
func unreadableHint(name, duckType string) string {
	t := strings.ToUpper(duckType)
	switch {
	case strings.HasPrefix(t, "TIME"):
		return fmt.Sprintf("e.g. hour(%s), or epoch(%[1]s) for seconds since midnight", name)
	case t == "UHUGEINT":
		return fmt.Sprintf("e.g. %s::HUGEINT, or %[1]s::DOUBLE", name)
	case t == "INTERVAL":
		return fmt.Sprintf("e.g. epoch(%s) for seconds, or compare dates instead", name)
	case strings.HasSuffix(t, "]"):
		return fmt.Sprintf("e.g. len(%s) or list_contains(%[1]s, value)", name)
	case strings.HasPrefix(t, "STRUCT"):
		return fmt.Sprintf("select the field you need: %s.field", name)
	case strings.HasPrefix(t, "MAP"):
		return fmt.Sprintf("e.g. %s['key']", name)
	}
	return fmt.Sprintf("e.g. %s::VARCHAR", name)
}

// IsText says whether a DuckDB type holds text: VARCHAR, or an ENUM (segmentation results are ENUMs of
// their segment names; DuckDB hands both to Arrow as strings, an ENUM dictionary-encoded).
func IsText(duckType string) bool {
	t := strings.ToUpper(duckType)
	return t == "VARCHAR" || strings.HasPrefix(t, "ENUM(")
}
