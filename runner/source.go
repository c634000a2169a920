package runner

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// SourceFingerprint records exactly which data a version was computed from.
type SourceFingerprint struct {
	Source string            `json:"source"`
	Rows   int64             `json:"rows"`
	Files  []FileFingerprint `json:"files"`
}

// FileFingerprint identifies one input file by content: xxh3 hashes at several GB/s, so hashing whole
// files costs little next to parsing them.
type FileFingerprint struct {
	Path     string    `json:"path"`
	Bytes    int64     `json:"bytes"`
	Modified time.Time `json:"modified"`
	XXH3     string    `json:"xxh3"`
}

// csvTypeOptions are read_csv options by which the user sets column types themselves.
var csvTypeOptions = []string{"types", "dtypes", "column_types", "columns", "all_varchar"}

// csvErrorOptions are read_csv options by which the user decides what happens to unreadable rows.
var csvErrorOptions = []string{"ignore_errors", "store_rejects", "rejects_table", "rejects_scan", "rejects_limit"}

// loadSource reads a source's files into a workspace table and enforces its column contract.
func (e *execution) loadSource(ctx context.Context, name string) (int64, error) {
	src, _ := e.s.Sources.Get(name)
	read := e.v.Sources[name]
	step := "source " + name
	files, err := e.listFiles(ctx, read.Paths)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, failf(step, "no file matches %s", strings.Join(read.Paths, ", "))
	}
	var fp []FileFingerprint
	var fpErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); fp, fpErr = fingerprint(files) }()
	defer wg.Wait()

	declared := src.Columns
	options := maps.Clone(src.Options)
	if options == nil {
		options = map[string]any{}
	}
	csvTypes, csvRejects := false, false
	if read.Format == "csv" {
		if !hasAny(options, csvTypeOptions) && len(declared) > 0 {
			types := map[string]any{}
			for _, c := range declared {
				if c.Value.Type != "" {
					types[c.Key] = c.Value.Type
				}
			}
			if len(types) > 0 {
				options["types"] = types
				csvTypes = true
			}
		}
		if !hasAny(options, csvErrorOptions) {
			options["store_rejects"] = true
			options["rejects_table"] = "segrun_rejects_" + name
			options["rejects_scan"] = "segrun_rejectscans_" + name
			csvRejects = true
		}
	}
	from := sql.ReadSQL(read.Format, read.Paths, options)
	selectList, castChecks, err := e.contractCasts(ctx, name, from, declared, csvTypes)
	if err != nil {
		return 0, err
	}
	if err := e.db.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", sql.Ident(name), selectList, from)); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, sqlFailure(step, "reading "+strings.Join(read.Paths, ", ")+": ", err, "")
	}
	if csvRejects {
		if err := e.checkRejects(ctx, step, name); err != nil {
			return 0, err
		}
	}
	if err := e.checkCasts(ctx, step, name, castChecks); err != nil {
		return 0, err
	}
	rows, err := e.checkNotNull(ctx, step, name, declared)
	if err != nil {
		return 0, err
	}
	if rows == 0 && !src.AllowEmpty {
		return 0, failf(step, "no rows in %s (set allow_empty: true if an empty source is normal)", strings.Join(files, ", "))
	}
	wg.Wait()
	if fpErr != nil {
		return 0, fmt.Errorf("%s: fingerprinting files: %w", step, fpErr)
	}
	e.fingerprints = append(e.fingerprints, SourceFingerprint{Source: name, Rows: rows, Files: fp})
	return rows, nil
}

func hasAny(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// listFiles expands the source's paths and globs the way DuckDB's readers will.
func (e *execution) listFiles(ctx context.Context, paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		rows, err := e.db.Query(ctx, "SELECT file FROM glob(?) ORDER BY file", p)
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
	return files, nil
}

func fingerprint(files []string) ([]FileFingerprint, error) {
	out := make([]FileFingerprint, len(files))
	for i, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		st, err := fh.Stat()
		if err != nil {
			fh.Close()
			return nil, err
		}
		h := xxh3.New()
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return nil, err
		}
		out[i] = FileFingerprint{Path: f, Bytes: st.Size(), Modified: st.ModTime().UTC(), XXH3: fmt.Sprintf("%016x", h.Sum64())}
	}
	return out, nil
}

// castCheck is a declared column loaded by casting, with the marker column that flags values that did not
// cast.
type castCheck struct{ column, typ, marker string }

// contractCasts builds the select list that gives declared columns their types. CSV files are parsed
// straight into the declared types (csvTypes); other formats are cast here, and a value that does not cast
// is kept, as text, in a marker column so the failure can show it.
func (e *execution) contractCasts(ctx context.Context, name, from string, declared spec.Map[spec.ColumnSpec], csvTypes bool) (string, []castCheck, error) {
	if csvTypes || len(declared) == 0 {
		return "*", nil, nil
	}
	raw, err := e.db.Describe(ctx, "SELECT * FROM "+from)
	if err != nil {
		return "", nil, failf("source "+name, "%v", err)
	}
	var replace, markers []string
	var checks []castCheck
	for _, d := range declared {
		i := slices.IndexFunc(raw, func(c sql.Column) bool { return c.Name == d.Key })
		if i < 0 || d.Value.Type == "" || strings.EqualFold(raw[i].Type, d.Value.Type) {
			continue
		}
		col := sql.Ident(d.Key)
		marker := "segrun_bad_" + fmt.Sprint(len(checks))
		replace = append(replace, fmt.Sprintf("TRY_CAST(%s AS %s) AS %s", col, d.Value.Type, col))
		markers = append(markers, fmt.Sprintf("CASE WHEN %[1]s IS NOT NULL AND TRY_CAST(%[1]s AS %[2]s) IS NULL THEN CAST(%[1]s AS VARCHAR) END AS %[3]s",
			col, d.Value.Type, marker))
		checks = append(checks, castCheck{column: d.Key, typ: d.Value.Type, marker: marker})
	}
	if len(replace) == 0 {
		return "*", nil, nil
	}
	return "* REPLACE (" + strings.Join(replace, ", ") + "), " + strings.Join(markers, ", "), checks, nil
}

func (e *execution) checkCasts(ctx context.Context, step, table string, checks []castCheck) error {
	var problems []string
	for _, c := range checks {
		var n int64
		if err := e.db.QueryRow(ctx, fmt.Sprintf("SELECT count(%s) FROM %s", c.marker, sql.Ident(table))).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			sample, err := e.sampleValues(ctx, fmt.Sprintf("SELECT DISTINCT %s FROM %s WHERE %s IS NOT NULL LIMIT 5", c.marker, sql.Ident(table), c.marker))
			if err != nil {
				return err
			}
			problems = append(problems, fmt.Sprintf("column %s: %d values do not cast to %s, for example %s", c.column, n, c.typ, strings.Join(sample, ", ")))
		}
		if err := e.db.Exec(ctx, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", sql.Ident(table), c.marker)); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &Failure{Step: step, Msg: "data breaks the column contract", Details: problems}
	}
	return nil
}

// checkRejects fails the load if the CSV reader rejected rows (a value that does not parse as its declared
// type, a row with the wrong number of fields), naming file and line.
func (e *execution) checkRejects(ctx context.Context, step, name string) error {
	var n int64
	table := sql.Ident("segrun_rejects_" + name)
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	rows, err := e.db.Query(ctx, fmt.Sprintf(`SELECT s.file_path, e.line, coalesce(e.column_name, ''), e.error_message, coalesce(e.csv_line, '')
		FROM %s e JOIN %s s USING (scan_id, file_id) ORDER BY s.file_path, e.line LIMIT 5`, table, sql.Ident("segrun_rejectscans_"+name)))
	if err != nil {
		return err
	}
	defer rows.Close()
	f := &Failure{Step: step, Msg: fmt.Sprintf("%d rows do not parse as the declared columns", n)}
	for rows.Next() {
		var file, column, msg, line string
		var lineNo int64
		if err := rows.Scan(&file, &lineNo, &column, &msg, &line); err != nil {
			return err
		}
		f.Details = append(f.Details, fmt.Sprintf("%s:%d: %s: %s", file, lineNo, msg, truncate(line, 120)))
	}
	return f
}

// checkNotNull enforces not_null columns and returns the row count, in one scan.
func (e *execution) checkNotNull(ctx context.Context, step, table string, declared spec.Map[spec.ColumnSpec]) (int64, error) {
	var cols []string
	exprs := []string{"count(*)"}
	for _, d := range declared {
		if d.Value.NotNull {
			cols = append(cols, d.Key)
			exprs = append(exprs, fmt.Sprintf("count(*) FILTER (WHERE %s IS NULL)", sql.Ident(d.Key)))
		}
	}
	counts := make([]int64, len(exprs))
	ptrs := make([]any, len(exprs))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if err := e.db.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(exprs, ", "), sql.Ident(table))).Scan(ptrs...); err != nil {
		return 0, err
	}
	f := &Failure{Step: step, Msg: "NULL in not_null columns"}
	for i, c := range cols {
		if n := counts[i+1]; n > 0 {
			sample, err := e.sampleRows(ctx, fmt.Sprintf("SELECT * FROM %s WHERE %s IS NULL LIMIT 3", sql.Ident(table), sql.Ident(c)))
			if err != nil {
				return 0, err
			}
			f.Details = append(f.Details, fmt.Sprintf("column %s: %d rows are NULL, for example:", c, n))
			f.Details = append(f.Details, indent(sample)...)
		}
	}
	if len(f.Details) > 0 {
		return 0, f
	}
	return counts[0], nil
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
