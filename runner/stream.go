package runner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// streams decides whether a source is read straight from its files by the one feature that reads it,
// instead of being loaded into a table first. Loaded, the benchmark's 9.1M orders held 470 MB of memory
// while the feature aggregated them; streamed, DuckDB aggregates rows as it parses them and the source
// costs no memory of its own, in about the same time.
//
// A streamed source keeps its whole contract. The view parses every column of every row, so values that
// do not parse are rejected and reported by file and line (parseEveryColumn); not_null is enforced by the
// reader (csvNotNull); after the feature has read it, the rejects are checked before the feature's tests
// run, and the row count comes from DuckDB's profile of the feature's statement (finishStreamed). So only
// sources whose every check can be made that way stream: CSV files whose errors segrun collects, whose
// declared types the reader applies (no casts), and whose not_null columns the reader enforces. A source
// that a test or a second step also reads is loaded, so its files are parsed once.
func (e *execution) streams(name string, r *sourceRead, read SourceRead, selectList string, declared spec.Map[spec.ColumnSpec]) bool {
	if read.Format != "csv" || !r.rejects || selectList != "*" || len(e.v.Columns[name]) == 0 {
		return false
	}
	for _, d := range declared {
		if d.Value.NotNull && !r.forcedNotNull[d.Key] {
			return false
		}
	}
	readers := e.v.Graph.Dependents(name)
	if len(readers) != 1 || e.s.StepKind(readers[0]) != KindFeature {
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

// parseEveryColumn is the filter of a streamed source's view. DuckDB's CSV reader parses only the columns
// a query reads, so a value that breaks the declared type in a column the feature ignores would go
// unnoticed; hashing every column makes the reader parse them all. hash() is never NULL, so no row is
// dropped (TestStreamedSourceChecksEveryColumn fails if DuckDB ever optimises this away).
func parseEveryColumn(cols []sql.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = sql.Ident(c.Name)
	}
	return "hash(" + strings.Join(names, ", ") + ") IS NOT NULL"
}

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

// finishStreamed checks the sources a feature has just read from their files: it fails on rejected rows
// and on an empty source, records the fingerprints and fills in the source steps' row counts. profile is
// DuckDB's profile of the feature's statement, which says how many rows each file scan produced.
func (e *execution) finishStreamed(ctx context.Context, feature string, sources []*sourceRead, profile *duckdb.ProfilingInfo) error {
	for _, r := range sources {
		delete(e.streamed, r.name)
		read := e.v.Sources[r.name]
		rows, ok := scannedRows(profile, strings.Join(read.Paths, ", "))
		if !ok {
			// The plan did not scan the files (DuckDB proved it needless, say): read them on their own, so
			// the source is still counted and checked whole.
			if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(r.name)).Scan(&rows); err != nil {
				return sqlFailure(r.step, "reading "+strings.Join(read.Paths, ", ")+": ", err, "")
			}
		}
		if err := e.checkRejects(ctx, r); err != nil {
			return err
		}
		if err := e.finishSource(r, rows); err != nil {
			return err
		}
		for i := range e.res.Steps {
			if e.res.Steps[i].Kind == KindSource && e.res.Steps[i].Step == r.name {
				e.res.Steps[i].Rows, e.res.Steps[i].ReadBy = rows, feature
			}
		}
		e.log.Debug("streamed source read", "source", r.name, "feature", feature, "rows", rows, "from_profile", ok)
	}
	return nil
}

// scannedRows finds, in a statement's profile, the CSV scans of files (as DuckDB prints a reader's file
// list: one path or glob, or paths joined by ", ") and returns the most rows one of them produced: a
// feature that reads its source twice scans it whole twice.
func scannedRows(p *duckdb.ProfilingInfo, files string) (int64, bool) {
	if p == nil {
		return 0, false
	}
	var best int64
	found := false
	var walk func(n *duckdb.ProfilingInfo)
	walk = func(n *duckdb.ProfilingInfo) {
		if n.Metrics["OPERATOR_NAME"] == "READ_CSV" && scanFiles(n.Metrics["EXTRA_INFO"]) == files {
			if rows, err := strconv.ParseInt(n.Metrics["OPERATOR_CARDINALITY"], 10, 64); err == nil {
				best, found = max(best, rows), true
			}
		}
		for i := range n.Children {
			walk(&n.Children[i])
		}
	}
	walk(p)
	return best, found
}

// scanFiles reads the file list out of a CSV scan's EXTRA_INFO, which DuckDB prints as
// {Function=READ_CSV, ..., 'Filename(s)'=data/orders.csv} and quotes values holding ", ".
func scanFiles(extra string) string {
	const key = "'Filename(s)'="
	i := strings.Index(extra, key)
	if i < 0 {
		return ""
	}
	v := extra[i+len(key):]
	if strings.HasPrefix(v, "'") {
		if j := strings.IndexByte(v[1:], '\''); j >= 0 {
			return v[1 : 1+j]
		}
		return ""
	}
	if j := strings.IndexAny(v, ",}"); j >= 0 {
		v = v[:j]
	}
	return strings.TrimSpace(v)
}

// profiled runs fn with DuckDB's profiler on and returns the profile of the last statement fn ran.
func (e *execution) profiled(ctx context.Context, fn func() error) (*duckdb.ProfilingInfo, error) {
	if err := e.db.Exec(ctx, "PRAGMA enable_profiling = 'no_output'"); err != nil {
		return nil, err
	}
	ferr := fn()
	var info *duckdb.ProfilingInfo
	if ferr == nil {
		if p, err := duckdb.GetProfilingInfo(e.db.Conn()); err == nil {
			info = &p
		}
	}
	if err := e.db.Exec(context.WithoutCancel(ctx), "PRAGMA disable_profiling"); err != nil && ferr == nil {
		return nil, fmt.Errorf("turning DuckDB's profiler off: %w", err)
	}
	return info, ferr
}
