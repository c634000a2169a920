package sql

import (
	"context"
	stdsql "database/sql"
)

// Workspace is what the rest of segrun needs from an analytical engine: the seam a second engine
// (PostgreSQL, docs/development.md "A second engine") would implement. *DB, DuckDB in process, is the one
// implementation today. Bulk data crosses it only as Arrow (WithArrow); metadata and small results as
// database/sql rows. The versioned store attaches to a workspace (store.Attach) and is not part of it.
type Workspace interface {
	// Statements and small results (metadata, counts, samples; never bulk data).
	Exec(ctx context.Context, query string, args ...any) error
	QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row
	Query(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
	// WithArrow runs fn with Arrow access: queries read as record batches, tables written from them,
	// batches registered as views.
	WithArrow(ctx context.Context, fn func(a *Arrow) error) error

	// Describing and analysing SQL without running it.
	Describe(ctx context.Context, query string) ([]Column, error)
	Analyze(ctx context.Context, query string) (*Analysis, error)
	Keywords(ctx context.Context) (map[string]bool, error)
	ExplainCreate(ctx context.Context, query string) (PlanNode, error)

	// Relations.
	CreateTableAs(ctx context.Context, table, query string) error
	CreateEmpty(ctx context.Context, table string, cols []Column) error
	DropTable(ctx context.Context, name string) error
	DropView(ctx context.Context, name string) error

	// Reading sources: the files a path matches, the reader's options, the CSV dialect, and the start of a
	// read (SourceRead, whose strategies load or stream the rows).
	Glob(ctx context.Context, paths []string) ([]string, error)
	ReaderOptions(ctx context.Context, format string) ([]string, error)
	SniffCSV(ctx context.Context, path string, options map[string]any) (map[string]any, error)
	CSVHeadersDisagree(ctx context.Context, files []string, options map[string]any) string
	ReadSource(name string, paths, files []string, csv CSVRead, allowEmpty bool) *SourceRead

	// Running statements: the run's variables (getvariable), a statement's plan as it ran, and statements
	// over Arrow views (which need filter pushdown off).
	SetVariable(ctx context.Context, name, duckType string, value any) error
	Profiled(ctx context.Context, fn func() error) (PlanNode, error)
	WithoutFilterPushdown(ctx context.Context, fn func() error) error

	// ReleaseMemory hands memory the engine freed back to the operating system, between steps.
	ReleaseMemory(ctx context.Context) error
	Close() error
}

var _ Workspace = (*DB)(nil)

// CreateTableAs creates (or replaces) table with query's rows.
func (d *DB) CreateTableAs(ctx context.Context, table, query string) error {
	return d.Exec(ctx, "CREATE OR REPLACE TABLE "+Ident(table)+" AS "+query)
}

// DropTable drops table name, if there is one.
func (d *DB) DropTable(ctx context.Context, name string) error {
	return d.Exec(ctx, "DROP TABLE IF EXISTS "+Ident(name))
}

// DropView drops view name, if there is one.
func (d *DB) DropView(ctx context.Context, name string) error {
	return d.Exec(ctx, "DROP VIEW IF EXISTS "+Ident(name))
}

// ReadSource starts reading a source (StartRead).
func (d *DB) ReadSource(name string, paths, files []string, csv CSVRead, allowEmpty bool) *SourceRead {
	return StartRead(name, paths, files, csv, allowEmpty)
}
