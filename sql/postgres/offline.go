package postgres

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"

	"github.com/segrun/segrun/sql"
)

// ErrOffline is what Offline answers where a server is needed.
var ErrOffline = errors.New("engine postgres: no connection (set the spec's dsn_env variable to type SQL on the server)")

// Offline is the PostgreSQL engine without a server, for `segrun validate` when the connection string is
// not set: Analyze parses with PostgreSQL's own parser; describing, running and reading answer ErrOffline;
// SetVariable and the relation-making methods do nothing, since nothing can read what they would make.
type Offline struct{}

var _ sql.Workspace = Offline{}

func (Offline) Exec(context.Context, string, ...any) error { return ErrOffline }

// QueryRow cannot return an error of its own: its Scan reports database/sql's "no rows" instead, from
// a closed database.
func (Offline) QueryRow(ctx context.Context, q string, args ...any) *stdsql.Row {
	return offlineDB.QueryRowContext(ctx, q, args...)
}
func (Offline) Query(context.Context, string, ...any) (*stdsql.Rows, error) { return nil, ErrOffline }
func (Offline) WithArrow(context.Context, func(*sql.Arrow) error) error     { return ErrOffline }
func (Offline) Describe(context.Context, string) ([]sql.Column, error)      { return nil, ErrOffline }
func (Offline) Analyze(_ context.Context, q string) (*sql.Analysis, error)  { return AnalyzeSQL(q) }

// Keywords is empty offline: reserved words are checked when there is a server.
func (Offline) Keywords(context.Context) (map[string]bool, error) { return map[string]bool{}, nil }
func (Offline) ExplainCreate(context.Context, string) (sql.PlanNode, error) {
	return sql.PlanNode{}, ErrOffline
}
func (Offline) CreateTableAs(context.Context, string, string) error                 { return nil }
func (Offline) CreateEmpty(context.Context, string, []sql.Column) error             { return nil }
func (Offline) DropTable(context.Context, string) error                             { return nil }
func (Offline) DropView(context.Context, string) error                              { return nil }
func (Offline) Glob(context.Context, []string) ([]string, error)                    { return nil, ErrOffline }
func (Offline) ReaderOptions(context.Context, string) ([]string, error)             { return nil, ErrOffline }
func (Offline) CSVHeadersDisagree(context.Context, []string, map[string]any) string { return "" }
func (Offline) SniffCSV(context.Context, string, map[string]any) (map[string]any, error) {
	return nil, ErrOffline
}
func (Offline) ReadSource(name string, paths, files []string, csv sql.CSVRead, allowEmpty bool) *sql.SourceRead {
	return sql.StartRead(name, paths, files, csv, allowEmpty)
}
func (Offline) SetVariable(context.Context, string, string, any) error { return nil }
func (Offline) Profiled(_ context.Context, fn func() error) (sql.PlanNode, error) {
	return sql.PlanNode{}, fn()
}
func (Offline) WithoutFilterPushdown(_ context.Context, fn func() error) error { return fn() }
func (Offline) ReleaseMemory(context.Context) error                            { return nil }
func (Offline) Close() error                                                   { return nil }

// offlineDB is a database/sql handle whose every connection attempt fails with ErrOffline, so that
// QueryRow's Row reports it at Scan.
var offlineDB = stdsql.OpenDB(offlineConnector{})

type offlineConnector struct{}

func (offlineConnector) Connect(context.Context) (driver.Conn, error) { return nil, ErrOffline }
func (offlineConnector) Driver() driver.Driver                        { return offlineDriver{} }

type offlineDriver struct{}

func (offlineDriver) Open(string) (driver.Conn, error) { return nil, ErrOffline }
