package sql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
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

// DeclaredColumn is a column of a source's contract: its name, the type the spec declares ("" for none) and
// whether it may hold NULL.
type DeclaredColumn struct {
	Name, Type string
	NotNull    bool
}

// PlanCSV returns the read_csv options of source name's CSV files, the user's own (userOptions) plus
// segrun's: the declared column types, reject collection and not_null enforcement. emptyRejected are the
// declared columns whose type no empty string parses as (RejectsEmpty).
func PlanCSV(name string, userOptions map[string]any, declared []DeclaredColumn, emptyRejected []string) (map[string]any, CSVRead) {
	options := maps.Clone(userOptions)
	if options == nil {
		options = map[string]any{}
	}
	var r CSVRead
	if !hasAny(options, csvTypeOptions) {
		types := map[string]any{}
		for _, c := range declared {
			if c.Type != "" {
				types[c.Name] = c.Type
			}
		}
		if len(types) > 0 {
			options["types"] = types
			r.Typed = true
		}
	}
	r.ForcedNotNull = map[string]bool{}
	// Read by name, a file may lack a column (read as NULL, never parsed) and DuckDB ignores
	// force_not_null: not_null is counted after loading then (SourceRead.CheckNotNull).
	if r.Typed && !Truthy(options["union_by_name"]) {
		r.ForcedNotNull = csvNotNull(declared, options, emptyRejected)
	}
	// DuckDB keeps no rejects table when it reads files by name (union_by_name): such a read stops at the
	// first value that does not parse, with DuckDB's message naming the file and line (CSVReadProblem).
	if !hasAny(options, csvErrorOptions) && !Truthy(options["union_by_name"]) {
		options["store_rejects"] = true
		options["rejects_table"] = RejectsTable(name)
		options["rejects_scan"] = RejectScansTable(name)
		r.Rejects = true
	}
	return options, r
}

// Pinnable says whether a CSV source's sniffing can be done once, by validation: one file, and no option
// that sets types or the dialect itself.
func Pinnable(paths []string, userOptions map[string]any) bool {
	return len(paths) == 1 && !strings.ContainsAny(paths[0], "*?[") &&
		!hasAny(userOptions, csvTypeOptions) && !hasAny(userOptions, csvDialectOptions)
}

// Pin replaces a CSV read's options by those that skip sniffing: what DuckDB's sniffer found (with the
// declared types applied) in place of types, and the user's other options as they were.
func Pin(options, sniffed map[string]any) map[string]any {
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
func csvNotNull(declared []DeclaredColumn, options map[string]any, emptyRejected []string) map[string]bool {
	forced := map[string]bool{}
	if _, ok := options["force_not_null"]; ok {
		return forced
	}
	var names []any
	for _, c := range declared {
		if c.NotNull && slices.Contains(emptyRejected, c.Name) {
			forced[c.Name] = true
			names = append(names, c.Name)
		}
	}
	if len(names) > 0 {
		options["force_not_null"] = names
	}
	return forced
}

// RejectsEmpty says whether DuckDB fails to parse an empty string as resolved, a type as DuckDB names it
// (SELECT NULL::t): checked for each by TestEmptyStringIsRejectedByForcedTypes. Text accepts it, and some
// types read it as NULL or as a value (TIMESTAMP WITH TIME ZONE, TIME WITH TIME ZONE, unions of text), so
// they are left out.
func RejectsEmpty(resolved string) bool {
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

// RejectsTable and RejectScansTable are the tables DuckDB's CSV reader writes source's rejected rows to.
func RejectsTable(source string) string     { return "segrun_rejects_" + source }
func RejectScansTable(source string) string { return "segrun_rejectscans_" + source }

func hasAny(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// CSVHeadersDisagree says how the files of one CSV source disagree on their columns, or "" when they all
// have the same columns in the same order. Given several files, DuckDB's CSV reader takes the first file's
// schema and fits the others to it: with different column orders it reads the declared types as VARCHAR
// (or positionally, with columns:), so a disagreement is refused unless the source reads every file by
// its own header (union_by_name). Each file is described with the user's options: a file DuckDB cannot
// describe is left to the read, which reports it.
func (d *DB) CSVHeadersDisagree(ctx context.Context, files []string, options map[string]any) string {
	if len(files) < 2 || Truthy(options["union_by_name"]) {
		return ""
	}
	var first []string
	for i, f := range files {
		cols, err := d.Describe(ctx, "SELECT * FROM "+ReadSQL("csv", []string{f}, options))
		if err != nil {
			return ""
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		if i == 0 {
			first = names
			continue
		}
		if !slices.Equal(names, first) {
			return fmt.Sprintf("%s has the columns %s but %s has %s: set union_by_name: true in the source's options to read each file by its header, or write every file with the same header",
				files[0], strings.Join(first, ", "), f, strings.Join(names, ", "))
		}
	}
	return ""
}

// Truthy says whether an option's value is true as DuckDB would read it (true, 1, 'true').
func Truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int:
		return x != 0
	case string:
		return strings.EqualFold(x, "true") || x == "1"
	}
	return false
}

// Glob expands paths and globs the way DuckDB's readers will, in the order they read them.
func (d *DB) Glob(ctx context.Context, paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		rows, err := d.Query(ctx, "SELECT file FROM glob(?) ORDER BY file", p)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return nil, err
			}
			files = append(files, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := openable(f); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// UnreadableFileError is a file a source's paths match that cannot be opened (permissions): the machine's
// problem, not the spec's nor the data's, however DuckDB's reader would word it.
type UnreadableFileError struct {
	Path string
	Err  error
}

func (e *UnreadableFileError) Error() string { return fmt.Sprintf("cannot read %s: %v", e.Path, e.Err) }
func (e *UnreadableFileError) Unwrap() error { return e.Err }

// openable fails for a matched local file that cannot be opened for reading. Only regular files are
// opened: opening a FIFO would wait for a writer, and remote paths (s3://, https://) are the reader's.
func openable(path string) error {
	if strings.Contains(path, "://") {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil // gone since the glob, or not a file: the reader reports it
	}
	f, err := os.Open(path)
	if err != nil {
		return &UnreadableFileError{Path: path, Err: errors.Unwrap(err)}
	}
	return f.Close()
}
