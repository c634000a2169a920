package runner

import (
	"context"
	"regexp"
	"strings"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// streams decides whether a source is read straight from its files by the one feature that reads it,
// instead of being loaded into a table first. Loaded, the benchmark's 9.1M orders held 470 MB of memory
// while the feature aggregated them; streamed, DuckDB aggregates rows as it parses them and the source
// costs no memory of its own, in about the same time.
//
// A streamed source keeps its whole contract. The view parses every column of every row, so values that
// do not parse are rejected and reported by file and line (sql.ParseEveryColumn); not_null is enforced by the
// reader (csvNotNull); after the feature has read it, the rejects are checked before the feature's tests
// run, and the row count comes from DuckDB's profile of the feature's statement (finishStreamed). So only
// sources whose every check can be made that way stream: CSV files whose errors segrun collects, whose
// declared types the reader applies (no casts), and whose not_null columns the reader enforces. A source
// that a test or a second step also reads is loaded, so its files are parsed once.
func (e *execution) streams(name string, r *sourceRead, read SourceRead, selectList string, declared spec.Map[spec.ColumnSpec]) bool {
	if read.Format != "csv" || !r.Rejects || selectList != "*" || len(e.v.Columns[name]) == 0 {
		return false
	}
	for _, d := range declared {
		if d.Value.NotNull && !r.ForcedNotNull[d.Key] {
			return false
		}
	}
	readers := e.v.Graph.Dependents(name)
	if len(readers) != 1 || kindOf(e.s, readers[0]) != featureKind {
		return false
	}
	// A table has a rowid, a view over files has none; validation binds features against tables.
	if text, err := e.v.Plan.featureSQL(readers[0]); err != nil || readsRowID.MatchString(text.SQL) {
		return false
	}
	for _, f := range e.s.Features {
		for _, t := range f.Value.Tests {
			if t.Kind == "relationships" && t.To == name {
				return false
			}
		}
	}
	return true
}

var readsRowID = regexp.MustCompile(`(?i)\browid\b`)

// streamedInto returns the streamed sources that feature reads, still waiting for their checks.
func (e *execution) streamedInto(feature string) []*sourceRead {
	var out []*sourceRead
	for _, in := range e.v.Graph.Deps(feature) {
		if r, ok := e.streamed[in]; ok {
			out = append(out, r)
		}
	}
	return out
}

// runStreamed runs create, the statement of a feature that reads streamed sources, and then checks those
// sources. Streaming needs a plan that reads the files to their end: a LIMIT, or a join that skips its
// probe side when the other side is empty, would stop the scan and leave rows unchecked. So the plan is
// looked at first (EXPLAIN), and where a scan may stop early the sources are loaded instead.
func (e *execution) runStreamed(ctx context.Context, feature, query string, sources []*sourceRead, create func() error) error {
	if len(sources) == 1 && sources[0].plain != nil {
		if done, err := e.runPlain(ctx, feature, query, sources[0], create); done {
			return err
		}
	}
	plan, err := e.db.ExplainCreate(ctx, query)
	if err != nil || !sql.ScansRunToEnd(plan) {
		for _, r := range sources {
			if err := e.loadStreamed(ctx, r); err != nil {
				return err
			}
		}
		return create()
	}
	profile, err := e.db.Profiled(ctx, create)
	if err != nil {
		// Report a reader's failure, or rows it rejected before the statement failed, under the source.
		for _, r := range sources {
			if ferr := e.scanWhole(ctx, r); ferr != nil {
				return ferr
			}
		}
		return err
	}
	return e.finishStreamed(ctx, feature, sources, profile)
}

// finishStreamed checks the sources a feature has just read from their files: it fails on rejected rows
// and on an empty source, records the fingerprints and fills in the source steps' row counts. executed is
// the plan of the feature's statement as it ran (its profile), which says how many rows each file scan produced.
func (e *execution) finishStreamed(ctx context.Context, feature string, sources []*sourceRead, executed sql.PlanNode) error {
	whole := sql.ScansRunToEnd(executed)
	for _, r := range sources {
		delete(e.streamed, r.Name)
		read := e.v.Sources[r.Name]
		rows, ok := sql.ScannedRows(executed, strings.Join(read.Paths, ", "), len(sources) == 1)
		if !ok || !whole {
			// The plan that ran did not show a whole scan of the files (DuckDB proved it needless, say, or
			// planned differently than EXPLAIN said): read them on their own, so the source is still
			// counted and checked whole.
			var err error
			if rows, err = e.countStreamed(ctx, r); err != nil {
				return err
			}
		}
		if err := e.checkRejects(ctx, r); err != nil {
			return err
		}
		if err := e.finishSource(r, rows); err != nil {
			return err
		}
		e.setSourceRows(r.Name, rows, feature)
		e.log.Debug("streamed source read", "source", r.Name, "feature", feature, "rows", rows, "from_profile", ok && whole)
	}
	return nil
}

// scanWhole reads a streamed source on its own, after its feature failed, and returns the source's
// failure if there is one: the reader's error, or rows it rejected.
func (e *execution) scanWhole(ctx context.Context, r *sourceRead) error {
	if _, err := e.countStreamed(ctx, r); err != nil {
		return err
	}
	return e.checkRejects(ctx, r)
}

// countStreamed reads a streamed source's files whole, on their own, and counts its rows.
func (e *execution) countStreamed(ctx context.Context, r *sourceRead) (int64, error) {
	rows, err := r.CountRows(ctx, e.db)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, r.readFailure(err)
	}
	return rows, nil
}

// loadStreamed turns a streamed source back into a loaded one: its view's rows into a table of the same
// name, checked as any loaded source.
func (e *execution) loadStreamed(ctx context.Context, r *sourceRead) error {
	if err := r.Materialize(ctx, e.db); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return r.readFailure(err)
	}
	delete(e.streamed, r.Name)
	delete(e.views, r.Name)
	if err := e.checkRejects(ctx, r); err != nil {
		return err
	}
	rows, err := r.CountRows(ctx, e.db)
	if err != nil {
		return err
	}
	if err := e.finishSource(r, rows); err != nil {
		return err
	}
	e.setSourceRows(r.Name, rows, "")
	e.log.Debug("streamed source loaded", "source", r.Name, "rows", rows)
	return nil
}

// setSourceRows fills in a source step's rows once they are known.
func (e *execution) setSourceRows(source string, rows int64, readBy string) {
	for i := range e.res.Steps {
		if e.res.Steps[i].Kind == KindSource && e.res.Steps[i].Step == source {
			e.res.Steps[i].Rows, e.res.Steps[i].ReadBy = rows, readBy
		}
	}
}

// waitStreamed waits for the fingerprinting of sources whose reader never ran (the run failed first).
func (e *execution) waitStreamed() {
	for _, r := range e.streamed {
		r.Wait()
	}
}
