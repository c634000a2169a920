package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// SourceFingerprint records exactly which data a version was computed from.
type SourceFingerprint = store.SourceFingerprint

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

// dataFailure names the step of a problem the engine found in the source's data (*sql.ReadProblem); any
// other error is returned as it is.
func (r *sourceRead) dataFailure(err error) error {
	var p *sql.ReadProblem
	if errors.As(err, &p) {
		return &Failure{Step: r.step, Msg: p.Msg, Details: p.Details}
	}
	return err
}

// failure names the step of a problem the engine found in the source's data, and of any other error.
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
	if src.Table != "" {
		return e.loadTableSource(ctx, name, src)
	}
	read := e.v.Sources[name]
	step := "source " + name
	files, err := e.listFiles(ctx, read.Paths)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", step, err) // the machine's (sql.UnreadableFileError): exit 3
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
	selectList, castChecks, err := r.ContractCasts(ctx, e.db, from, contractColumns(declared), csvTypes)
	if err != nil {
		return 0, r.failure(err)
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
	if err := r.CheckCasts(ctx, e.db, castChecks); err != nil {
		return 0, r.dataFailure(err)
	}
	byFile := "" // the read again with DuckDB's filename column, to name the files of a not_null failure
	if _, set := read.Options["filename"]; !set {
		withName := maps.Clone(read.Options)
		if withName == nil {
			withName = map[string]any{}
		}
		withName["filename"] = true
		byFile = sql.ReadSQL(read.Format, read.Paths, withName)
	}
	rows, err := r.CheckNotNull(ctx, e.db, contractColumns(declared), byFile)
	if err != nil {
		return 0, r.dataFailure(err)
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
	return r.dataFailure(r.CheckRejects(ctx, e.db))
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

// contractColumns is a source's column contract as the engine's readers take it.
func contractColumns(declared spec.Map[spec.ColumnSpec]) []sql.DeclaredColumn {
	out := make([]sql.DeclaredColumn, 0, len(declared))
	for _, d := range declared {
		out = append(out, sql.DeclaredColumn{Name: d.Key, Type: d.Value.Type, NotNull: d.Value.NotNull})
	}
	return out
}
