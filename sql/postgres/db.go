package postgres

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/segrun/segrun/sql"
)

// DefaultDSNEnv is the environment variable holding the connection string when the spec names none.
const DefaultDSNEnv = "SEGRUN_PG_DSN"

// RunSchemaPrefix starts the name of every run's schema: segrun_run_<id>.
const RunSchemaPrefix = "segrun_run_"

// lockClass is the first key of the session-level advisory locks that mark a run schema as in use (the
// second is hashtext(schema)); a schema whose lock nobody holds belongs to a run that is gone.
const lockClass = 0x5e6_2017

// DB is a sql.Workspace on PostgreSQL: one pinned connection (the run's session, whose search_path is the
// run's schema, then public) and that schema. It is not safe for concurrent use, as DuckDB's is not.
type DB struct {
	db     *stdsql.DB
	conn   *stdsql.Conn
	schema string
	// vars are the columns of segrun_vars so far, with their PostgreSQL types.
	vars map[string]string
	log  *slog.Logger
	// meter counts what crosses the connection (traffic.go).
	meter *Meter
}

var _ sql.Workspace = (*DB)(nil)

// OpenEnv opens the engine on the server whose connection string is in the environment variable env
// (DefaultDSNEnv when empty). The spec names the variable, never the connection string; an unset variable
// is an error naming it.
func OpenEnv(ctx context.Context, env, runID string) (*DB, error) {
	if env == "" {
		env = DefaultDSNEnv
	}
	dsn := os.Getenv(env)
	if dsn == "" {
		return nil, fmt.Errorf("engine postgres: the environment variable %s is not set; it must hold the server's connection string (postgres://user@host:5432/db, or key=value pairs)", env)
	}
	d, err := Open(ctx, dsn, runID)
	if err != nil {
		return nil, fmt.Errorf("engine postgres (connection string from %s): %w", env, err)
	}
	return d, nil
}

// Open connects to dsn and creates the run's schema, segrun_run_<runID> (runID is lower-cased and
// anything but letters, digits and _ becomes _), with an empty one-row segrun_vars, and sets search_path
// to it, then public. Run schemas left by runs that died (their session's advisory lock is free) are
// dropped first. Close drops the run's schema.
func Open(ctx context.Context, dsn, runID string) (*DB, error) {
	cfg, err := parseConfig(dsn)
	if err != nil {
		return nil, err
	}
	configureSession(cfg)
	meter := &Meter{}
	meter.Configure(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
	}
	if err != nil {
		db.Close()
		return nil, mapError(err, "")
	}
	d := &DB{db: db, conn: conn, schema: RunSchema(runID), vars: map[string]string{}, log: slog.New(slog.DiscardHandler), meter: meter}
	if err := d.createRunSchema(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// DefaultConnectTimeout bounds connecting (the TCP connection, TLS and authentication, each address
// tried) when the connection string sets no connect_timeout: without one, a server that accepts and never
// answers (a dead proxy, a hung server) would hold the run forever, and a host that drops packets for
// as long as the system's TCP retries last (about two minutes on Linux).
const DefaultConnectTimeout = 30 * time.Second

// parseConfig reads a connection string as pgx does, then gives it segrun's defaults: application_name
// segrun (what a DBA sees in pg_stat_activity, as for the store's connection) and DefaultConnectTimeout,
// unless the string sets them.
func parseConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message can quote the string; the password must not reach a log.
		return nil, fmt.Errorf("the connection string does not parse: %s", redact(err.Error()))
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "segrun"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return cfg, nil
}

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// RunSchema is the schema of the run runID: segrun_run_ and the id, lower-cased, with anything but
// letters, digits and _ replaced, cut to PostgreSQL's 63-byte identifiers.
func RunSchema(runID string) string {
	s := RunSchemaPrefix + notIdent.ReplaceAllString(strings.ToLower(runID), "_")
	return s[:min(len(s), 63)]
}

// Schema is the run's schema.
func (d *DB) Schema() string { return d.schema }

// SetLogger logs each statement at debug level.
func (d *DB) SetLogger(l *slog.Logger) { d.log = l }

func (d *DB) createRunSchema(ctx context.Context) error {
	if err := d.DropStaleRunSchemas(ctx); err != nil {
		return fmt.Errorf("dropping the schemas of runs that died: %w", err)
	}
	var locked bool
	if err := d.conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", lockClass, d.schema).Scan(&locked); err != nil {
		return mapError(err, "")
	}
	if !locked {
		return fmt.Errorf("run schema %s is in use by another live session (two runs with one id?)", d.schema)
	}
	s := sql.Ident(d.schema)
	for _, q := range []string{
		"DROP SCHEMA IF EXISTS " + s + " CASCADE", // a dead run's, whose lock we now hold
		"CREATE SCHEMA " + s,
		"SET search_path = " + s + ", public",
		"CREATE UNLOGGED TABLE segrun_vars ()",
		"INSERT INTO segrun_vars DEFAULT VALUES",
	} {
		if err := d.Exec(ctx, q); err != nil {
			err = d.withGrant(ctx, err, func(role, database string) string {
				return fmt.Sprintf("CREATE on the database for its run schemas (GRANT CREATE ON DATABASE %s TO %s)", database, role)
			})
			return fmt.Errorf("creating the run schema %s: %w", d.schema, err)
		}
	}
	return nil
}

// DropStaleRunSchemas drops every segrun_run_* schema whose run is gone: a live run holds a session-level
// advisory lock on its schema for as long as its connection lasts, so a schema whose lock can be taken
// was left by a run that was killed before it could drop it. A live run's schema is never touched.
func (d *DB) DropStaleRunSchemas(ctx context.Context) error {
	rows, err := d.Query(ctx, "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) AND nspname <> $2", RunSchemaPrefix, d.schema)
	if err != nil {
		return err
	}
	_, found, err := sql.ScanAll(rows)
	if err != nil {
		return mapError(err, "")
	}
	for _, r := range found {
		name, _ := r[0].(string)
		var locked bool
		if err := d.conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", lockClass, name).Scan(&locked); err != nil {
			return mapError(err, "")
		}
		if !locked {
			continue
		}
		d.log.Info("dropping the schema of a run that died", "schema", name)
		err := d.Exec(ctx, "DROP SCHEMA IF EXISTS "+sql.Ident(name)+" CASCADE")
		if _, uerr := d.conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext($2))", lockClass, name); err == nil {
			err = mapError(uerr, "")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Close drops the run's schema (and everything in it) and closes the connection. It drops it whatever
// the context: a failed or interrupted run leaves nothing behind. Were the process killed instead, the
// next Open on the server drops it (DropStaleRunSchemas).
func (d *DB) Close() error {
	if d == nil || d.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if d.conn != nil {
		_, derr := d.conn.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+sql.Ident(d.schema)+" CASCADE")
		err = mapError(derr, "")
		// Unlocked here rather than when the server notices the session ended, which can be after
		// the next run's Open.
		if derr == nil {
			_, uerr := d.conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", lockClass, d.schema)
			err = mapError(uerr, "")
		}
		d.conn.Close() // a broken connection's error says nothing more
		d.conn = nil
		if derr != nil {
			// The run's session is gone (the server ended it, the network dropped it): its schema is
			// dropped from a new one, once the server has let its lock go with it.
			if rerr := d.dropFromNewSession(ctx); rerr != nil {
				err = &LeftBehindError{Schema: d.schema, Err: fmt.Errorf("%w; dropping it from a new connection: %w", err, rerr)}
			} else {
				err = nil
			}
		}
	}
	return errors.Join(err, d.db.Close())
}

// LeftBehindError is Close's failure to drop the run's schema: it is left on the server until the next
// run (or validation) there drops it (DropStaleRunSchemas).
type LeftBehindError struct {
	Schema string
	Err    error
}

func (e *LeftBehindError) Error() string {
	return fmt.Sprintf("run schema %s was left behind (%v); the next run on this server drops it, or DROP SCHEMA %s CASCADE", e.Schema, e.Err, e.Schema)
}

func (e *LeftBehindError) Unwrap() error { return e.Err }

// dropFromNewSession drops the run's schema from a new connection, after its own session died: it takes
// the schema's lock first, which the server frees when it has ended the dead session (it may take a
// moment), so a session the server still thinks alive is never pulled from under.
func (d *DB) dropFromNewSession(ctx context.Context) error {
	c, err := d.db.Conn(ctx)
	if err != nil {
		return mapError(err, "")
	}
	defer c.Close()
	for {
		var locked bool
		if err := c.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", lockClass, d.schema).Scan(&locked); err != nil {
			return mapError(err, "")
		}
		if locked {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("its lock is still held by the session that was the run's")
		case <-time.After(50 * time.Millisecond):
		}
	}
	_, err = c.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+sql.Ident(d.schema)+" CASCADE")
	_, uerr := c.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext($2))", lockClass, d.schema)
	return mapError(errors.Join(err, uerr), "")
}

// Exec runs a statement that returns no rows.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	start := time.Now()
	_, err := d.conn.ExecContext(ctx, query, args...)
	d.log.Debug("statement", "sql", query, "seconds", time.Since(start).Seconds())
	return mapError(err, query)
}

// QueryRow runs a query returning one row, for metadata and counts. Its error comes at Scan, unmapped
// (database/sql's Row hides it until then): pass it to MapError for a classified one.
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row {
	return d.conn.QueryRowContext(ctx, query, args...)
}

// Query runs a query for small results (metadata, samples, summaries); bulk data is PullArrow's.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	rows, err := d.conn.QueryContext(ctx, query, args...)
	return rows, mapError(err, query)
}

// MapError classifies an error of query (from QueryRow's Scan, or a Rows' Err) by SQLSTATE, as the
// Workspace's methods do with their own: a *sql.Error whose Class decides the exit code.
func MapError(err error, query string) error { return mapError(err, query) }

// raw runs fn with pgx's own connection under the pinned one, for what database/sql cannot do
// (statement descriptions, COPY).
func (d *DB) raw(fn func(c *pgx.Conn) error) error {
	return d.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		return fn(c.Conn())
	})
}

// CreateTableAs creates (or replaces) table, UNLOGGED (the run's tables are rebuilt by rerunning, never
// recovered), with query's rows, and analyses it: a table made by CREATE TABLE AS has no statistics
// until autovacuum comes by, which is after the run, so every statement reading it would be planned on
// guesses (a join's sides, a GROUP BY's groups). ANALYZE reads a sample of at most 30,000 rows, a small
// part of what building the table cost (docs/engines.md "Tuning").
func (d *DB) CreateTableAs(ctx context.Context, table, query string) error {
	if err := d.DropTable(ctx, table); err != nil {
		return err
	}
	stmt := "CREATE UNLOGGED TABLE " + d.own(table) + " AS "
	if err := relocate(d.Exec(ctx, stmt+query), len(stmt)); err != nil {
		return err
	}
	return d.Exec(ctx, "ANALYZE "+d.own(table))
}

// relocate moves an error's position back by the length of a prefix the caller put before the
// statement, when the error is on its first line.
func relocate(err error, prefix int) error {
	var se *sql.Error
	if errors.As(err, &se) && se.Line == 1 && se.Column > prefix {
		se.Column -= prefix
	}
	return err
}

// DropTable drops the run's table name, if there is one.
func (d *DB) DropTable(ctx context.Context, name string) error {
	return d.Exec(ctx, "DROP TABLE IF EXISTS "+d.own(name))
}

// DropView drops the run's view name, if there is one.
func (d *DB) DropView(ctx context.Context, name string) error {
	return d.Exec(ctx, "DROP VIEW IF EXISTS "+d.own(name))
}

// own is name in the run's schema. The run's tables are always named so when created, replaced or
// dropped: search_path goes on to public, so an unqualified DROP TABLE IF EXISTS orders with no orders
// in the run's schema would drop public.orders, the user's table a source of the same name reads.
func (d *DB) own(name string) string { return sql.Ident(d.schema) + "." + sql.Ident(name) }

// ReleaseMemory has nothing to do: the server manages its own memory.
func (d *DB) ReleaseMemory(ctx context.Context) error { return nil }

// WithoutFilterPushdown runs fn: PostgreSQL has no Arrow views whose scans mishandle pushed filters.
func (d *DB) WithoutFilterPushdown(ctx context.Context, fn func() error) error { return fn() }
