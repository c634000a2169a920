package postgres

import (
	"context"

	"github.com/segrun/segrun/sql"
)

// The methods of sql.Workspace that read files exist for DuckDB's server-side readers. On PostgreSQL,
// sources are tables or views in the database (table: in the spec), so these answer with an error saying
// so. Loading files into PostgreSQL (parsing them in Go, COPY FROM STDIN) is not built.

const filesInstead = "sources on engine postgres are tables or views in the database (table: schema.name); load files into it first (COPY, or segrun on DuckDB)"

// Glob is not available: see filesInstead.
func (d *DB) Glob(ctx context.Context, paths []string) ([]string, error) {
	return nil, errUnsupported("file reader (Glob)", filesInstead)
}

// ReaderOptions is not available: see filesInstead.
func (d *DB) ReaderOptions(ctx context.Context, format string) ([]string, error) {
	return nil, errUnsupported("file readers (ReaderOptions)", filesInstead)
}

// SniffCSV is not available: see filesInstead.
func (d *DB) SniffCSV(ctx context.Context, path string, options map[string]any) (map[string]any, error) {
	return nil, errUnsupported("CSV sniffer (SniffCSV)", filesInstead)
}

// CSVHeadersDisagree reports that this engine reads no CSV files (its answer is a message, as DuckDB's).
func (d *DB) CSVHeadersDisagree(ctx context.Context, files []string, options map[string]any) string {
	return errUnsupported("CSV reader", filesInstead).Error()
}

// ReadSource starts the read of a file source as on DuckDB (fingerprints and checks are engine-neutral),
// but no strategy of SourceRead loads files into PostgreSQL: the runner must not plan file sources on
// this engine, which validation already refuses (a file source with engine postgres is an error).
func (d *DB) ReadSource(name string, paths, files []string, csv sql.CSVRead, allowEmpty bool) *sql.SourceRead {
	return sql.StartRead(name, paths, files, csv, allowEmpty)
}

// WithArrow is not available: Arrow here is DuckDB's in-process access. Bulk reads on PostgreSQL go
// through PullArrow (binary COPY decoded into Arrow batches); writing Arrow into PostgreSQL is not built.
func (d *DB) WithArrow(ctx context.Context, fn func(a *sql.Arrow) error) error {
	return errUnsupported("in-process Arrow access (WithArrow)", "bulk reads use (*postgres.DB).PullArrow, a binary COPY decoded into Arrow record batches")
}
