package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"

	"github.com/segrun/segrun/internal/panics"
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

// sourceRead is a source being read: its files, hashed in the background while DuckDB parses them, and
// what is left to check once every row has been read.
type sourceRead struct {
	name, step string
	// paths are the spec's paths (for messages), files what they matched.
	paths, files []string
	// rejects says segrun collects the CSV rows that do not parse (the user set no error options).
	rejects bool
	// forcedNotNull are not_null columns the CSV reader itself enforces: their empty values are parse
	// errors, reported by file and line like any other (csvNotNull).
	forcedNotNull map[string]bool
	allowEmpty    bool
	// view creates the source's view over its files with DuckDB's reader (a streamed source); plain is
	// segrun's own reader for them, when they are plain CSV (plaincsv.go).
	view  string
	plain *sql.PlainCSV

	wg    sync.WaitGroup
	fp    []FileFingerprint
	fpErr error
}

// loadSource makes a source readable by the steps after it. A source that streams (streams) becomes a view
// over its files, checked when its one reader has read it (finishStreamed); any other is loaded into a
// workspace table and checked now. It returns the rows loaded, or 0 for a streamed source, whose row count
// is filled in when it has been read.
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
	r := &sourceRead{name: name, step: step, paths: read.Paths, files: files, allowEmpty: src.AllowEmpty}
	r.wg.Add(1)
	go func() { defer r.wg.Done(); defer panics.ToError(&r.fpErr); r.fp, r.fpErr = fingerprint(files) }()
	streamed := false
	defer func() {
		if !streamed { // a streamed source's files are hashed while its reader parses them
			r.wg.Wait()
		}
	}()

	declared := src.Columns
	csvTypes := read.CSV.Typed
	r.rejects, r.forcedNotNull = read.CSV.Rejects, read.CSV.ForcedNotNull
	from := sql.ReadSQL(read.Format, read.Paths, read.Options)
	selectList, castChecks, err := e.contractCasts(ctx, name, from, declared, csvTypes)
	if err != nil {
		return 0, err
	}
	if e.streams(name, r, read, selectList, declared) {
		r.view = fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s WHERE %s", sql.Ident(name), from, parseEveryColumn(e.v.Columns[name]))
		if err := e.db.Exec(ctx, r.view); err != nil {
			return 0, r.readFailure(err)
		}
		if err := e.checkLoadedTypes(ctx, r, name, declared); err != nil {
			return 0, err
		}
		r.plain = e.plainReader(r, read)
		e.streamed[name], e.views[name], streamed = r, true, true
		return 0, nil
	}
	plainLoaded := false
	if read.Format == "csv" && r.rejects && selectList == "*" {
		if p := e.plainReader(r, read); p != nil {
			if plainLoaded, err = e.loadPlain(ctx, r, p); err != nil {
				return 0, err
			}
		}
	}
	if !plainLoaded {
		if err := e.db.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", sql.Ident(name), selectList, from)); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, r.readFailure(err)
		}
		if err := e.checkRejects(ctx, r); err != nil {
			return 0, err
		}
	}
	if err := e.checkLoadedTypes(ctx, r, name, declared); err != nil {
		return 0, err
	}
	if err := e.checkCasts(ctx, step, name, castChecks); err != nil {
		return 0, err
	}
	rows, err := e.checkNotNull(ctx, step, name, declared, r.forcedNotNull)
	if err != nil {
		return 0, err
	}
	return rows, e.finishSource(r, rows)
}

// readFailure is the error of reading the source's files: the data's problem (exit 1) or the
// environment's (exit 3), as sqlFailure tells them apart.
func (r *sourceRead) readFailure(err error) error {
	if f := r.corruptFile(); f != nil {
		return f
	}
	if p, ok := sql.CSVReadProblem(err); ok {
		return &Failure{Step: r.step, Msg: p.Msg, Details: p.Details}
	}
	return sqlFailure(r.step, "reading "+strings.Join(r.paths, ", ")+": ", err, "")
}

// finishSource fails an empty source and records the fingerprint of a source read whole.
func (e *execution) finishSource(r *sourceRead, rows int64) error {
	if rows == 0 && !r.allowEmpty {
		return failf(r.step, "no rows in %s (set allow_empty: true if an empty source is normal)", strings.Join(r.files, ", "))
	}
	if f := r.corruptFile(); f != nil {
		return f
	}
	if r.fpErr != nil {
		return fmt.Errorf("%s: fingerprinting files: %w", r.step, r.fpErr)
	}
	e.fingerprints = append(e.fingerprints, SourceFingerprint{Source: r.name, Rows: rows, Files: r.fp})
	return nil
}

// listFiles expands the source's paths and globs the way DuckDB's readers will.
func (e *execution) listFiles(ctx context.Context, paths []string) ([]string, error) {
	return e.db.Glob(ctx, paths)
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
		if isGzip(f) {
			// Hashed as it is decompressed: a file that does not decompress whole is reported as such.
			err = gunzipCheck(f, io.TeeReader(fh, h))
			if err == nil {
				_, err = io.Copy(h, fh) // anything after the gzip stream is hashed too
			}
		} else {
			_, err = io.Copy(h, fh)
		}
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
			problems = append(problems, fmt.Sprintf("column %s: %s %s not cast to %s, for example %s", c.column, valuesCount(n), doOrDoes(n), c.typ, strings.Join(sample, ", ")))
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
// type, an empty value in a not_null column, a row with the wrong number of fields), naming file and line.
// A line is counted once, however often the reader met it (a streamed source read twice by its feature).
func (e *execution) checkRejects(ctx context.Context, r *sourceRead) error {
	if !r.rejects {
		return nil
	}
	// One row per line: a line can break several columns, or be met by several scans.
	lines := fmt.Sprintf(`SELECT file_path, line, first.c, first.k, first.m, first.t FROM (
		SELECT s.file_path, e.line, min({c: coalesce(e.column_name, ''), k: e.error_type::VARCHAR, m: e.error_message, t: coalesce(e.csv_line, '')}) AS first
		FROM %s e JOIN %s s USING (scan_id, file_id) GROUP BY s.file_path, e.line)`, sql.Ident(sql.RejectsTable(r.name)), sql.Ident(sql.RejectScansTable(r.name)))
	var n int64
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM ("+lines+")").Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if f := r.corruptFile(); f != nil { // a torn last line is the file's damage, not a bad row
		return f
	}
	rows, err := e.db.Query(ctx, "SELECT * FROM ("+lines+") ORDER BY file_path, line LIMIT 5")
	if err != nil {
		return err
	}
	defer rows.Close()
	f := &Failure{Step: r.step, Msg: fmt.Sprintf("%s %s not parse as the declared columns", rowsCount(n), doOrDoes(n))}
	var hint []string
	quoteHinted := false
	for rows.Next() {
		var file, column, kind, msg, line string
		var lineNo int64
		if err := rows.Scan(&file, &lineNo, &column, &kind, &msg, &line); err != nil {
			return err
		}
		if kind == "CAST" && r.forcedNotNull[column] && !strings.Contains(msg, "Could not convert") {
			// DuckDB names no value when the field was empty (pinned by TestDataProblemsStopTheRunBeforePublishing).
			msg = fmt.Sprintf("column %q is empty, but it is declared not_null", column)
		}
		f.Details = append(f.Details, fmt.Sprintf("%s:%d: %s: %s", file, lineNo, msg, sql.Truncate(line, 120)))
		if kind == "TOO MANY COLUMNS" && strings.ContainsAny(line, `"'`) && !quoteHinted {
			quoteHinted = true
			hint = append(hint, sql.QuoteHint)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	f.Details = append(f.Details, hint...)
	return f
}

// checkNotNull enforces the not_null columns the reader did not (forced), and returns the row count, in
// one scan.
func (e *execution) checkNotNull(ctx context.Context, step, table string, declared spec.Map[spec.ColumnSpec], forced map[string]bool) (int64, error) {
	var cols []string
	exprs := []string{"count(*)"}
	for _, d := range declared {
		if d.Value.NotNull && !forced[d.Key] {
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
			f.Details = append(f.Details, fmt.Sprintf("column %s: %s %s NULL, for example:", c, rowsCount(n), isOrAre(n)))
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

// contractColumns is a source's column contract as the engine's readers take it.
func contractColumns(declared spec.Map[spec.ColumnSpec]) []sql.DeclaredColumn {
	out := make([]sql.DeclaredColumn, 0, len(declared))
	for _, d := range declared {
		out = append(out, sql.DeclaredColumn{Name: d.Key, Type: d.Value.Type, NotNull: d.Value.NotNull})
	}
	return out
}
