package methods

import (
	"context"
	stdsql "database/sql"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// On an engine other than the in-process DuckDB (engine: postgres), a segmentation is computed inside the
// engine: the method writes its result table with SQL the engine runs, and what crosses to segrun is
// aggregates (rule statistics, counts) and, for a clustering, the seeded sample it fits on (for clv, every
// customer's summary, and its predictions go back: Push). A method that
// can do this implements EngineRunner beside Method; one that cannot is refused by validation on such an
// engine, at its method's line, naming the method (UnsupportedOnEngine).

// EngineRunner is a method that runs inside a SQL engine.
type EngineRunner interface {
	// CheckOnEngine adds, at their positions, the diagnostics of what the segmentation asks that cannot
	// run on engine (a rule with no SQL form, a cluster method whose assignment has none). Validation calls
	// it after Check, for engine postgres.
	CheckOnEngine(env CheckEnv, engine string)
	// RunOnEngine computes the segmentation into the engine table env.Name() (the entity, segment, and
	// the columns Check returned), filling env.Report() and env.Version() as Run does, and handing its model
	// to env.SetModel.
	RunOnEngine(ctx context.Context, env EngineEnv) error
}

// EngineEnv is Env on a SQL engine: statements the engine runs, and the one bulk read a method may make
// (a clustering's sample). WithArrow is not available on engines other than DuckDB.
type EngineEnv interface {
	Env
	// Engine is the engine's name as the spec gives it (postgres).
	Engine() string
	// VarsTable is the one-row table of the run's vars and as_of that SQL reads them from in scalar
	// subqueries ((SELECT as_of FROM segrun_vars)).
	VarsTable() string
	// CreateTableAs creates (or replaces) a table of the run with query's rows.
	CreateTableAs(ctx context.Context, table, query string) error
	// QueryRow runs a query returning at most one row (counts, statistics).
	QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row
	// PreviousMemberships is a subquery of the base version's memberships (entity, segmentation,
	// segment) that the engine can read, "" when there is no base version.
	PreviousMemberships() string
	// Pull reads a query's rows as Arrow record batches, retained for the caller to Release: for small
	// results pulled on purpose (a sample), never for a table of every entity.
	Pull(ctx context.Context, query string) ([]arrow.RecordBatch, error)
	// Push writes r's rows into a new table of the run (binary COPY FROM on PostgreSQL): for what a method
	// must compute in Go over rows it pulled on purpose and write back (a clv segmentation's predictions,
	// a row per customer), never to move a table. It returns the bytes sent to the engine (0 in process).
	Push(ctx context.Context, table string, r array.RecordReader) (int64, error)
}

// UnsupportedOnEngine is the message for a method with no engine form.
func UnsupportedOnEngine(method, engine string) string {
	return "segmentation method " + method + " cannot run on engine " + engine +
		": it computes in Go over every row, which would pull every entity out of the engine; use rules, rfm, cluster (kmeans, gmm, hierarchical, consensus) or clv, or engine duckdb"
}
