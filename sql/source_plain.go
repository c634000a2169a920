package sql

import (
	"context"
	"errors"
	"runtime/debug"
)

// PlainView is the plain CSV reader's strategy for a SourceRead: its batches over the source's files,
// registered as an Arrow view for one statement, which DuckDB reads instead of parsing the files itself.
type PlainView struct {
	// Name is the view's identifier, quoted.
	Name    string
	reader  *PlainCSVReader
	columns []string // the file's columns, in order: what the view's scan must ask for
	release func()
}

// OpenPlainView registers p's reader over the source's files as an Arrow view, parsed by workers
// goroutines, or returns nil if DuckDB would not take it. Close it when the statement has run.
func (r *SourceRead) OpenPlainView(ctx context.Context, d Workspace, p *PlainCSV, workers int) *PlainView {
	v := &PlainView{Name: Ident("segrun_plain_" + r.Name), reader: p.Reader(r.Files, workers)}
	for _, c := range p.Columns {
		v.columns = append(v.columns, c.Name)
	}
	err := d.WithArrow(ctx, func(a *Arrow) error {
		var err error
		v.release, err = a.RegisterView(v.reader, "segrun_plain_"+r.Name)
		return err
	})
	if err != nil {
		v.reader.Release()
		return nil
	}
	return v
}

// Close drops the view before the stream it reads, then releases the stream and the reader (whose
// goroutines stop with the last reference).
func (v *PlainView) Close(ctx context.Context, d Workspace) error {
	err := d.Exec(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+v.Name)
	v.release()
	v.reader.Release()
	return err
}

// Rows is how many rows the reader has produced.
func (v *PlainView) Rows() int64 { return v.reader.Rows() }

// Usable checks, on EXPLAIN, that query reads the view the one way its stream can be read: one scan, of
// every column, to its end (SingleArrowScan).
func (v *PlainView) Usable(ctx context.Context, d Workspace, query string) bool {
	var plan PlanNode
	err := d.WithoutFilterPushdown(ctx, func() error {
		var err error
		plan, err = d.ExplainCreate(ctx, query)
		return err
	})
	return err == nil && SingleArrowScan(plan, v.columns)
}

// Read runs stmt over the view and says whether the plain reader read every file through. If it did not,
// why says what stopped it (notPlain: it met something outside plain CSV): DuckDB's reader then reads the
// files, and reports their problems. err is only the context's.
func (v *PlainView) Read(ctx context.Context, d Workspace, stmt func() error) (ok bool, why string, notPlain bool, err error) {
	serr := d.WithoutFilterPushdown(ctx, stmt)
	if ctx.Err() != nil {
		return false, "", false, ctx.Err()
	}
	if serr != nil || !v.reader.Complete() {
		why = "the statement stopped before the end of the files"
		if rerr := v.reader.Err(); rerr != nil {
			why = rerr.Error()
		} else if serr != nil {
			why = "the statement failed: " + serr.Error()
		}
		return false, why, errors.Is(v.reader.Err(), ErrNotPlain), nil
	}
	// The batches' Go memory is garbage now; handing it back at once keeps it off the peak the next steps
	// make on top of what DuckDB's aggregate has not returned yet (peaks 10-20 MB lower in the benchmark).
	debug.FreeOSMemory()
	return true, "", false, nil
}
