package runner

import (
	"context"
	"fmt"
	"os"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// plainReader returns segrun's own CSV reader for a source's files (sql.PlainCSV), streamed or loaded, or
// nil when DuckDB's reader is to read them: they are not plain local CSV with a dialect validation pinned,
// a column has a type the plain reader does not parse, or the run asks for DuckDB's reader.
func (e *execution) plainReader(r *sourceRead, read SourceRead) *sql.PlainCSV {
	if e.o.DuckDBCSV || os.Getenv("SEGRUN_CSV_READER") == "duckdb" || !read.CSV.Pinned {
		return nil
	}
	p, why := sql.PlainCSVFor(r.Files, read.Options)
	if p == nil {
		e.plainDeclined(r.Name, why)
	}
	return p
}

// plainDeclined records (StepReport.PlainDeclined) and logs why DuckDB's reader reads source.
func (e *execution) plainDeclined(source, why string) {
	e.log.Debug("DuckDB reads the source", "source", source, "because", why)
	e.noteReader(source, func(r *StepReport) { r.Reader, r.PlainDeclined = "", why })
}

// noteReader records which reader read source, in its step report and for a report not made yet.
func (e *execution) noteReader(source string, set func(*StepReport)) {
	if e.readers == nil {
		e.readers = map[string]StepReport{}
	}
	r := e.readers[source]
	set(&r)
	e.readers[source] = r
	for i := range e.res.Steps {
		if e.res.Steps[i].Kind == KindSource && e.res.Steps[i].Step == source {
			set(&e.res.Steps[i])
		}
	}
}

// usable checks that query reads the plain view the one way its stream can be read, and logs why not.
func (e *execution) usable(ctx context.Context, v *sql.PlainView, source, query string) bool {
	if !v.Usable(ctx, e.db, query) {
		e.plainDeclined(source, "the plan is not a single scan of every column")
		return false
	}
	return true
}

// read runs stmt over the plain view and says whether the plain reader read every file through. If it did
// not, it logs why: DuckDB's reader then reads the files, and reports their problems.
func (e *execution) read(ctx context.Context, v *sql.PlainView, source string, stmt func() error) (bool, error) {
	ok, why, notPlain, err := v.Read(ctx, e.db, stmt)
	if err != nil {
		return false, err
	}
	if !ok {
		e.log.Debug("the plain reader stopped", "source", source, "not_plain", notPlain)
		e.plainDeclined(source, why)
	}
	return ok, nil
}

// runPlain runs create, the statement of the one feature that reads source r, with r's files parsed by
// the plain reader and handed to DuckDB as Arrow batches; on the benchmark it cut the RFM feature from
// 3.5 to 2.9 s (median of five; DuckDB's threads aggregate instead of parsing). done is false when the plain
// reader did not do the job, and the caller reads the files with DuckDB instead, as if it had not been
// tried:
//
//   - The plan is not a single scan of the source feeding filters, projections and aggregates (a join, a
//     second scan, a recursive CTE...). DuckDB scans an Arrow view once only, so a second scan would see
//     no rows; and the statement runs with filter pushdown off (sql.Arrow.WithoutFilterPushdown), which
//     costs nothing in such a plan but could in a join.
//   - The statement failed, or the reader met anything outside plain CSV (a quote, a value written in a
//     way DuckDB might read differently, a row DuckDB would reject). DuckDB's reader then parses the files
//     and reports every problem by file and line, as it always does; the plain reader never reports one.
func (e *execution) runPlain(ctx context.Context, feature, query string, r *sourceRead, create func() error) (done bool, err error) {
	plain := r.plain
	r.plain = nil // one try: a fallback reads with DuckDB
	v := r.OpenPlainView(ctx, e.db, plain, methods.Workers(e.o.Threads))
	if v == nil {
		return false, nil
	}
	defer func() {
		// The source's name goes back to DuckDB's reader, for a fallback and for any later look at it.
		if rerr := e.db.Exec(context.WithoutCancel(ctx), r.view); rerr != nil && err == nil {
			done, err = true, rerr
		}
		if cerr := v.Close(ctx, e.db); cerr != nil && err == nil {
			done, err = true, cerr
		}
	}()
	// The view reads every column, so that DuckDB's scan of the Arrow view asks for all of them, in file
	// order, which is what the stream gives it (sql.RegisterView).
	if err := e.db.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM %s WHERE %s", sql.Ident(r.Name), v.Name,
		sql.ParseEveryColumn(plain.Columns))); err != nil {
		return false, nil
	}
	if !e.usable(ctx, v, r.Name, query) {
		return false, nil
	}
	if ok, err := e.read(ctx, v, r.Name, create); !ok {
		return err != nil, err
	}
	rows := v.Rows()
	delete(e.streamed, r.Name)
	if err := e.finishSource(r, rows); err != nil {
		return true, err
	}
	e.setSourceRows(r.Name, rows, feature)
	e.noteReader(r.Name, func(rep *StepReport) { rep.Reader = ReaderPlain })
	e.log.Debug("streamed source read", "source", r.Name, "feature", feature, "rows", rows, "reader", "plain")
	return true, nil
}

// loadPlain loads a source that is not streamed (several steps read it) into its workspace table with the
// plain reader: on the benchmark's orders 1.5-1.8 s instead of DuckDB's 2.1-2.7 s, with a lower peak. It
// returns false, and leaves no table, when DuckDB's reader is to load the files instead (see runPlain).
func (e *execution) loadPlain(ctx context.Context, r *sourceRead, p *sql.PlainCSV) (loaded bool, err error) {
	v := r.OpenPlainView(ctx, e.db, p, methods.Workers(e.o.Threads))
	if v == nil {
		return false, nil
	}
	defer func() {
		if cerr := v.Close(ctx, e.db); cerr != nil && err == nil {
			loaded, err = false, cerr
		}
	}()
	query := "SELECT * FROM " + v.Name
	if !e.usable(ctx, v, r.Name, query) {
		return false, nil
	}
	table := sql.Ident(r.Name)
	ok, err := e.read(ctx, v, r.Name, func() error { return e.db.Exec(ctx, "CREATE OR REPLACE TABLE "+table+" AS "+query) })
	if !ok {
		if err == nil {
			err = e.db.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table)
		}
		return false, err
	}
	e.noteReader(r.Name, func(rep *StepReport) { rep.Reader = ReaderPlain })
	e.log.Debug("source loaded", "source", r.Name, "rows", v.Rows(), "reader", "plain")
	return true, nil
}
