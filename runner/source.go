package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"

	"github.com/segrun/segrun/internal/plural"
)

// SourceFingerprint records exactly which data a version was computed from.
type SourceFingerprint struct {
	Source string            `json:"source"`
	Rows   int64             `json:"rows"`
	Files  []FileFingerprint `json:"files"`
}

// FileFingerprint identifies one input file by content (sql.SourceRead computes it).
type FileFingerprint = sql.FileFingerprint

// sourceRead is a source being read (sql.SourceRead: fingerprints, rejects, types, row count) and what the
// runner decides about it: the step it reports under, and the reader a streamed source is read with.
type sourceRead struct {
	*sql.SourceRead
	step string
	// view creates the source's view over its files with DuckDB's reader (a streamed source); plain is
	// segrun's own reader for them, when they are plain CSV (plaincsv.go).
	view  string
	plain *sql.PlainCSV
}

// failure names the step of a problem the engine found in the source's data.
func (r *sourceRead) failure(err error) error {
	var p *sql.ReadProblem
	if errors.As(err, &p) {
		return &Failure{Step: r.step, Msg: p.Msg, Details: p.Details}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.step, err)
	}
	return nil
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
	r := &sourceRead{SourceRead: e.db.ReadSource(name, read.Paths, files, read.CSV, src.AllowEmpty), step: step}
	streamed := false
	defer func() {
		if !streamed { // a streamed source's files are hashed while its reader parses them
			r.Wait()
		}
	}()

	declared := src.Columns
	csvTypes := read.CSV.Typed
	from := sql.ReadSQL(read.Format, read.Paths, read.Options)
	selectList, castChecks, err := e.contractCasts(ctx, name, from, declared, csvTypes)
	if err != nil {
		return 0, err
	}
	if e.streams(name, r, read, selectList, declared) {
		r.view = r.StreamView(from, e.v.Columns[name])
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
	if read.Format == "csv" && r.Rejects && selectList == "*" {
		if p := e.plainReader(r, read); p != nil {
			if plainLoaded, err = e.loadPlain(ctx, r, p); err != nil {
				return 0, err
			}
		}
	}
	if !plainLoaded {
		if err := r.LoadTable(ctx, e.db, selectList, from); err != nil {
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
	rows, err := e.checkNotNull(ctx, step, name, declared, r.ForcedNotNull)
	if err != nil {
		return 0, err
	}
	return rows, e.finishSource(r, rows)
}

// readFailure is the error of reading the source's files: the data's problem (exit 1) or the
// environment's (exit 3), as sqlFailure tells them apart.
func (r *sourceRead) readFailure(err error) error {
	if p := r.CorruptFile(); p != nil {
		return r.failure(p)
	}
	if p, ok := sql.CSVReadProblem(err); ok {
		return &Failure{Step: r.step, Msg: p.Msg, Details: p.Details}
	}
	return sqlFailure(r.step, "reading "+strings.Join(r.Paths, ", ")+": ", err, "")
}

// finishSource ends the read of a source whose rows were all read: an empty source or a corrupt file fails
// it, and its fingerprint is recorded.
func (e *execution) finishSource(r *sourceRead, rows int64) error {
	fp, err := r.Finish(rows)
	if err != nil {
		return r.failure(err)
	}
	e.fingerprints = append(e.fingerprints, SourceFingerprint{Source: r.Name, Rows: rows, Files: fp})
	return nil
}

// checkRejects fails the read if the CSV reader rejected rows (sql.SourceRead.CheckRejects).
func (e *execution) checkRejects(ctx context.Context, r *sourceRead) error {
	if err := r.CheckRejects(ctx, e.db); err != nil {
		var p *sql.ReadProblem
		if errors.As(err, &p) {
			return r.failure(p)
		}
		return err
	}
	return nil
}

// checkLoadedTypes fails the read if a declared column did not come out of the reader with its declared
// type (sql.SourceRead.CheckLoadedTypes). relation is the loaded table or the streamed view.
func (e *execution) checkLoadedTypes(ctx context.Context, r *sourceRead, relation string, declared spec.Map[spec.ColumnSpec]) error {
	return r.failure(r.CheckLoadedTypes(ctx, e.db, relation, contractColumns(declared)))
}

// listFiles expands the source's paths and globs the way DuckDB's readers will.
func (e *execution) listFiles(ctx context.Context, paths []string) ([]string, error) {
	return e.db.Glob(ctx, paths)
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
			problems = append(problems, fmt.Sprintf("column %s: %s %s not cast to %s, for example %s", c.column, plural.Values(n), plural.Do(n), c.typ, strings.Join(sample, ", ")))
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
			f.Details = append(f.Details, fmt.Sprintf("column %s: %s %s NULL, for example:", c, plural.Rows(n), plural.Is(n)))
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
