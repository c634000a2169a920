package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/sql"
)

// The store in a schema of a PostgreSQL database (issue 17, engine: postgres): the same tables, views and
// statements as the DuckDB store (dialect.go), reached through a pgx connection. A run computes its
// memberships in its per-run schema of the same database, so publishing is INSERT ... SELECT from that
// schema into the store's, inside one PostgreSQL transaction.
//
// A writer holds a session advisory lock on the store for as long as it has the store open, as a run
// holds the DuckDB store's file: two runs publishing to one store take turns, the second waiting up to its
// --wait. Readers take no lock: PostgreSQL shows them the last committed version while a run publishes.

// PostgresPrefix starts a store location naming a PostgreSQL schema: postgres:SCHEMA.
const PostgresPrefix = "postgres:"

// EnvDSN names the environment variable holding the PostgreSQL connection string (the engine's, and the
// store's in its database).
const EnvDSN = "SEGRUN_PG_DSN"

// PostgresSchema returns the schema a store location names, and whether it names one.
func PostgresSchema(location string) (string, bool) {
	if !strings.HasPrefix(location, PostgresPrefix) {
		return "", false
	}
	return strings.TrimPrefix(location, PostgresPrefix), true
}

// pgFirstVersion is the schema version PostgreSQL stores began at: they are created at the current version
// and only ever run the migrations after it.
const pgFirstVersion = 7

// OpenPostgres connects to the database dsn names and opens the store in its schema, for writing (created
// if missing) or reading. The store owns the connection: Close closes it, and releases a writer's lock.
// Errors never repeat the connection string (it may hold a password): they name EnvDSN instead.
//
// Each option edits the connection's configuration before it connects (engine postgres meters the
// store's connection with it: postgres.DB.StoreConnection).
func OpenPostgres(ctx context.Context, dsn, schema string, mode Mode, wait time.Duration, options ...func(*pgx.ConnConfig)) (*Store, error) {
	if err := checkSchemaName(schema); err != nil {
		return nil, err
	}
	if dsn == "" {
		return nil, fmt.Errorf("store %s%s: %s is not set; set it to the PostgreSQL database's connection string (postgres://user@host:port/db)", PostgresPrefix, schema, EnvDSN)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store %s%s: %s is not a PostgreSQL connection string (postgres://user@host:port/db)", PostgresPrefix, schema, EnvDSN)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "segrun"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout // as the engine's (postgres.DefaultConnectTimeout)
	}
	if mode == ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	for _, o := range options {
		o(cfg)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store %s%s: connecting to the database %s names: %s", PostgresPrefix, schema, EnvDSN, pgMessage(err))
	}
	s, err := AttachPostgres(ctx, c, schema, mode, wait)
	if err != nil {
		c.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	s.closeConn = func() error { return c.Close(context.Background()) }
	return s, nil
}

// AttachPostgres opens the store in schema of the database c is connected to; the caller keeps c (a
// writer's lock is held until c closes). Statements the store runs against the workspace (Diff's stage, the
// versions' tables) name workspace tables unqualified: c's search_path must find them (the per-run schema
// first; UseWorkspaceSchema sets it).
func AttachPostgres(ctx context.Context, c *pgx.Conn, schema string, mode Mode, wait time.Duration) (*Store, error) {
	if err := checkSchemaName(schema); err != nil {
		return nil, err
	}
	s := newStore(pgConn{c}, dialect{schema: schema}, PostgresPrefix+schema)
	if mode == ReadWrite {
		if err := s.lockPostgres(ctx, wait); err != nil {
			return nil, err
		}
		if err := s.checkPublisher(ctx); err != nil {
			return nil, err
		}
		if err := s.db.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+sql.Ident(schema)); err != nil {
			return nil, fmt.Errorf("store %s: creating the schema: %s%s", s.Path, pgMessage(err), s.createSchemaGrant(ctx, err))
		}
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
	} else {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = ? AND tablename = 'segrun_meta'", schema).Scan(&n); err != nil {
			return nil, fmt.Errorf("store %s: %s", s.Path, pgMessage(err))
		}
		if n == 0 {
			return nil, fmt.Errorf("%w at %s (the database %s names has no segrun store in schema %q; run a pipeline first, or pass --store)", ErrNoStore, s.Path, EnvDSN, schema)
		}
		if err := s.checkReader(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.checkVersion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// UseWorkspaceSchema makes the store's connection find workspace tables (a run's memberships, Diff's
// stage) in schema, then public: the per-run schema segrun_run_<runid> the engine computes in.
func (s *Store) UseWorkspaceSchema(ctx context.Context, schema string) error {
	return s.db.Exec(ctx, "SELECT set_config('search_path', ?, false)", sql.Ident(schema)+", public")
}

// checkSchemaName refuses a schema name PostgreSQL would not keep as given: empty, or longer than its 63
// bytes (it would truncate it, and two stores could meet in one schema).
func checkSchemaName(schema string) error {
	switch {
	case schema == "":
		return errors.New("give the store's schema: postgres:SCHEMA")
	case len(schema) > 63:
		return fmt.Errorf("schema %q is longer than PostgreSQL's 63 bytes", schema)
	}
	return nil
}

// lockKey is the advisory lock's key of a store: a hash of its schema's name.
func (s *Store) lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("segrun store " + s.d.schema))
	return int64(h.Sum64())
}

// lockPostgres takes the store's lock for this session, waiting up to wait while another session holds
// it, as Attach waits for a DuckDB store's file. The lock is released when the connection closes.
func (s *Store) lockPostgres(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		var ok bool
		if err := s.db.QueryRow(ctx, "SELECT pg_try_advisory_lock(?)", s.lockKey()).Scan(&ok); err != nil {
			return fmt.Errorf("store %s: taking its lock: %s", s.Path, pgMessage(err))
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			locked := &sql.LockedError{Holder: s.lockHolder(ctx)}
			msg := "; pass --wait 10m to wait for it"
			if wait > 0 {
				msg = fmt.Sprintf(" (waited %s)", wait)
			}
			return fmt.Errorf("store %s: %w%s", s.Path, locked, msg)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockHolder says which session holds the store's lock: its backend's process id and application name.
func (s *Store) lockHolder(ctx context.Context) string {
	key := uint64(s.lockKey())
	var pid int64
	var app string
	err := s.db.QueryRow(ctx, `SELECT l.pid, coalesce(a.application_name, '') FROM pg_catalog.pg_locks l
		LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ? AND l.objid = ? AND l.objsubid = 1`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&pid, &app)
	switch {
	case err != nil:
		return "held by another session (a segrun run)"
	case app == "segrun":
		return fmt.Sprintf("held by another segrun run (PostgreSQL backend PID %d)", pid)
	}
	return fmt.Sprintf("held by PostgreSQL backend PID %d (application %q)", pid, app)
}

// pgMessage is a PostgreSQL error's message, its first line.
func pgMessage(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// pgConn is a pgx connection as the store's conn.
type pgConn struct{ c *pgx.Conn }

func (p pgConn) Exec(ctx context.Context, q string, args ...any) error {
	_, err := p.c.Exec(ctx, q, args...)
	return err
}

func (p pgConn) QueryRow(ctx context.Context, q string, args ...any) row {
	return p.c.QueryRow(ctx, q, args...)
}

func (p pgConn) Query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := p.c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{r}, nil
}

// pgRows gives pgx's rows database/sql's Close.
type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}
