package postgres

import (
	"fmt"
	"regexp"
	"strings"
)

// The rest of segrun reads column types by DuckDB's names (sql.Column.Type: BIGINT, DOUBLE, VARCHAR,
// DATE...), and the run's vars and empty stand-in tables are declared with them. These two mappings are
// where PostgreSQL's names and DuckDB's meet.

// duckTypes maps DuckDB type names (upper case, no parameters) to PostgreSQL's.
var duckTypes = map[string]string{
	"BOOLEAN": "boolean", "BOOL": "boolean",
	"TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer", "INT": "integer", "BIGINT": "bigint",
	"HUGEINT": "numeric(38,0)", "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint", "UBIGINT": "numeric(20,0)",
	"FLOAT": "real", "REAL": "real", "DOUBLE": "double precision",
	"VARCHAR": "text", "TEXT": "text", "STRING": "text",
	"DATE": "date", "TIMESTAMP": "timestamp", "DATETIME": "timestamp", "TIMESTAMPTZ": "timestamptz",
	"TIMESTAMP WITH TIME ZONE": "timestamptz", "TIME": "time", "INTERVAL": "interval", "UUID": "uuid",
	"BLOB": "bytea", "JSON": "jsonb",
}

var decimalType = regexp.MustCompile(`^(?i)(DECIMAL|NUMERIC)\s*(\(\s*\d+\s*(,\s*\d+\s*)?\))?$`)

// PGType returns PostgreSQL's name for a DuckDB type name: DOUBLE is double precision, VARCHAR text,
// DECIMAL(18,2) numeric(18,2). A type with no counterpart is an error naming it.
func PGType(duckType string) (string, error) {
	t := strings.ToUpper(strings.TrimSpace(duckType))
	if m := decimalType.FindStringSubmatch(t); m != nil {
		return "numeric" + strings.ReplaceAll(m[2], " ", ""), nil
	}
	if pg, ok := duckTypes[t]; ok {
		return pg, nil
	}
	return "", fmt.Errorf("type %s has no PostgreSQL counterpart segrun knows", duckType)
}

// Type OIDs of PostgreSQL's built-in types (pg_type.dat; they never change).
const (
	oidBool        = 16
	oidBytea       = 17
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// duckNames are DuckDB's names for the built-in PostgreSQL types (by OID), as Describe reports them.
var duckNames = map[uint32]string{
	oidBool: "BOOLEAN", oidBytea: "BLOB", oidName: "VARCHAR", oidInt8: "BIGINT", oidInt2: "SMALLINT",
	oidInt4: "INTEGER", oidText: "VARCHAR", oidJSON: "JSON", oidFloat4: "FLOAT", oidFloat8: "DOUBLE",
	oidBPChar: "VARCHAR", oidVarchar: "VARCHAR", oidDate: "DATE", oidTime: "TIME", oidTimestamp: "TIMESTAMP",
	oidTimestamptz: "TIMESTAMP WITH TIME ZONE", oidInterval: "INTERVAL", oidUUID: "UUID", oidJSONB: "JSON",
}

// DuckName returns DuckDB's name for a PostgreSQL column type given by OID and type modifier (numeric's
// precision and scale are in the modifier: numeric(18,2) is DECIMAL(18,2); numeric with none is DOUBLE's
// nearest, DECIMAL without bounds, reported as NUMERIC). ok is false for a type segrun has no name for
// (an array, a domain, an enum), which the caller names by PostgreSQL's own name instead.
func DuckName(oid uint32, typmod int32) (name string, ok bool) {
	if oid == oidNumeric {
		if typmod < 4 { // -1: no precision given
			return "NUMERIC", true
		}
		m := typmod - 4 // VARHDRSZ
		return fmt.Sprintf("DECIMAL(%d,%d)", (m>>16)&0xffff, m&0xffff), true
	}
	n, ok := duckNames[oid]
	return n, ok
}
