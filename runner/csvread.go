package runner

import (
	"maps"
	"slices"
	"strings"

	"github.com/segrun/segrun/spec"
)

// csvTypeOptions are read_csv options by which the user sets column types themselves.
var csvTypeOptions = []string{"types", "dtypes", "column_types", "columns", "all_varchar"}

// csvErrorOptions are read_csv options by which the user decides what happens to unreadable rows.
var csvErrorOptions = []string{"ignore_errors", "store_rejects", "rejects_table", "rejects_scan", "rejects_limit"}

// csvDialectOptions are read_csv options that set what the sniffer would detect; a source setting one is
// read with detection on, as the user wrote it.
var csvDialectOptions = []string{"auto_detect", "delim", "sep", "quote", "escape", "new_line", "skip", "comment", "header",
	"dateformat", "date_format", "timestampformat", "timestamp_format", "auto_type_candidates", "names", "column_names"}

// CSVRead says how a run reads a CSV source and what the reader checks as it parses.
type CSVRead struct {
	// Typed says the reader parses the declared columns straight into their declared types.
	Typed bool
	// Rejects says segrun collects the rows that do not parse (the user set no error options, and the
	// files are not read by name).
	Rejects bool
	// ForcedNotNull are the not_null columns the reader enforces (csvNotNull).
	ForcedNotNull map[string]bool
	// Pinned says the options hold what validation's sniffing found, so the run does not sniff again.
	Pinned bool
}

// planCSV returns the read_csv options of a CSV source, the user's own plus segrun's: the declared column
// types, reject collection and not_null enforcement. emptyRejected are the declared columns whose type no
// empty string parses as (rejectsEmpty).
func planCSV(src spec.Source, name string, emptyRejected []string) (map[string]any, CSVRead) {
	options := maps.Clone(src.Options)
	if options == nil {
		options = map[string]any{}
	}
	var r CSVRead
	if !hasAny(options, csvTypeOptions) {
		types := map[string]any{}
		for _, c := range src.Columns {
			if c.Value.Type != "" {
				types[c.Key] = c.Value.Type
			}
		}
		if len(types) > 0 {
			options["types"] = types
			r.Typed = true
		}
	}
	r.ForcedNotNull = map[string]bool{}
	if r.Typed {
		r.ForcedNotNull = csvNotNull(src.Columns, options, emptyRejected)
	}
	// DuckDB keeps no rejects table when it reads files by name (union_by_name): such a read stops at the
	// first value that does not parse, with DuckDB's message naming the file and line (csvReadError).
	if !hasAny(options, csvErrorOptions) && !truthy(options["union_by_name"]) {
		options["store_rejects"] = true
		options["rejects_table"] = rejectsTable(name)
		options["rejects_scan"] = rejectScansTable(name)
		r.Rejects = true
	}
	return options, r
}

// pinnable says whether a CSV source's sniffing can be done once, by validation: one file, and no option
// that sets types or the dialect itself.
func pinnable(paths []string, userOptions map[string]any) bool {
	return len(paths) == 1 && !strings.ContainsAny(paths[0], "*?[") &&
		!hasAny(userOptions, csvTypeOptions) && !hasAny(userOptions, csvDialectOptions)
}

// pin replaces a CSV read's options by those that skip sniffing: what DuckDB's sniffer found (with the
// declared types applied) in place of types, and the user's other options as they were.
func pin(options, sniffed map[string]any) map[string]any {
	out := maps.Clone(options)
	delete(out, "types")
	maps.Copy(out, sniffed)
	return out
}

// csvNotNull lists the not_null columns the CSV reader can enforce as it parses: with force_not_null, an
// empty field is not read as NULL but parsed, and where the column's type parses no empty string (numbers,
// dates, times, booleans...: rejectsEmpty) the row is rejected and reported by file and line. Other
// columns (text, where an empty string is valid, and types that read one as NULL) are counted after
// loading, as are all not_null columns when the user sets force_not_null.
func csvNotNull(declared spec.Map[spec.ColumnSpec], options map[string]any, emptyRejected []string) map[string]bool {
	forced := map[string]bool{}
	if _, ok := options["force_not_null"]; ok {
		return forced
	}
	var names []any
	for _, c := range declared {
		if c.Value.NotNull && slices.Contains(emptyRejected, c.Key) {
			forced[c.Key] = true
			names = append(names, c.Key)
		}
	}
	if len(names) > 0 {
		options["force_not_null"] = names
	}
	return forced
}

// rejectsEmpty says whether DuckDB fails to parse an empty string as resolved, a type as DuckDB names it
// (SELECT NULL::t): checked for each by TestEmptyStringIsRejectedByForcedTypes. Text accepts it, and some
// types read it as NULL or as a value (TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE, unions of text), so
// they are left out.
func rejectsEmpty(resolved string) bool {
	t := strings.ToUpper(resolved)
	if strings.HasPrefix(t, "DECIMAL(") {
		return true
	}
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
		"BOOLEAN", "UUID", "INTERVAL":
		return true
	}
	return false
}
