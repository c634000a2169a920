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
	return tableCall(readers[format], paths, options)
}

func tableCall(fn string, paths []string, options map[string]any) string {
	var b strings.Builder
	b.WriteString(fn)
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

// SniffCSV runs DuckDB's CSV sniffer on one file, with the reader options a read will use, and returns
// what it found as read_csv options that skip detection: auto_detect off, the dialect, any date and
// timestamp formats, and every column of the file with its type (in file order, so as []Column). Reading with them
// parses the file exactly as auto-detection would, without sniffing it again each time a statement that
// reads it is bound (0.15 s for the benchmark's 373 MB file, and a run binds it three times).
func (d *DB) SniffCSV(ctx context.Context, path string, options map[string]any) (map[string]any, error) {
	q := "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns, DateFormat, TimestampFormat FROM " +
		tableCall("sniff_csv", []string{path}, options)
	var delim, quote, escape, newline, comment string
	var skip int64
	var header bool
	var columns any
	var dateFormat, timestampFormat *string
	if err := d.conn.QueryRowContext(ctx, q).Scan(&delim, &quote, &escape, &newline, &comment, &skip, &header, &columns, &dateFormat, &timestampFormat); err != nil {
		return nil, ParseError(err, q)
	}
	// The sniffer writes a character it did not find (no quoting, no comments) as "(empty)".
	unset := func(s string) string {
		if s == "(empty)" {
			return ""
		}
		return s
	}
	list, _ := columns.([]any)
	cols := make([]Column, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		name, _ := m["name"].(string)
		typ, _ := m["type"].(string)
		if name == "" || typ == "" {
			return nil, fmt.Errorf("sniffing %s: unexpected column description %v", path, e)
		}
		cols = append(cols, Column{Name: name, Type: typ})
	}
	pinned := map[string]any{
		"auto_detect": false, "delim": delim, "quote": unset(quote), "escape": unset(escape), "new_line": newline,
		"comment": unset(comment), "skip": skip, "header": header, "columns": cols,
	}
	if dateFormat != nil {
		pinned["dateformat"] = *dateFormat
	}
	if timestampFormat != nil {
		pinned["timestampformat"] = *timestampFormat
	}
	return pinned, nil
}
