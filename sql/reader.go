package sql

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Formats are the source formats and DuckDB's reader for each.
var readers = map[string]string{"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}

// DetectFormat tells a source's format from its path's extension (a trailing .gz is looked through), or ""
// when the extension says nothing.
func DetectFormat(path string) string {
	p := strings.ToLower(strings.TrimSuffix(strings.ToLower(path), ".gz"))
	switch filepath.Ext(p) {
	case ".csv", ".tsv", ".txt":
		return "csv"
	case ".parquet", ".pq":
		return "parquet"
	case ".json", ".jsonl", ".ndjson":
		return "json"
	}
	return ""
}

// ReaderOptions lists the named parameters of format's DuckDB reader, as DuckDB itself declares them, so
// that an unknown option is caught (with a suggestion) before any file is opened.
func (d *DB) ReaderOptions(ctx context.Context, format string) ([]string, error) {
	fn, ok := readers[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format)
	}
	rows, err := d.conn.QueryContext(ctx, `SELECT DISTINCT unnest(parameters) FROM duckdb_functions()
		WHERE function_name = ? AND function_type = 'table'`, fn)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if n != "col0" { // the positional file argument
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, rows.Err()
}

// ReadSQL is the table-function call that reads a source's files: read_csv(['a.csv', 'b.csv'], header :=
// true). Paths and option values are written as quoted literals; table functions take no bound parameters
// for their options.
func ReadSQL(format string, paths []string, options map[string]any) string {
	var b strings.Builder
	b.WriteString(readers[format])
	b.WriteByte('(')
	if len(paths) == 1 {
		b.WriteString(Literal(paths[0]))
	} else {
		b.WriteString(Literal(paths))
	}
	keys := make([]string, 0, len(options))
	for k := range options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, ", %s := %s", Ident(k), Literal(options[k]))
	}
	b.WriteByte(')')
	return b.String()
}
