package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segrun/segrun/sql"
)

// Catalog is the name the store is attached under in a run's workspace.
const Catalog = "segrun_store"

// SchemaVersion is the version of the store's tables; a store written by a newer segrun is refused
// rather than misread. Older stores are upgraded when they are next written, and read as they are until
// then. Version 1 kept memberships as text (its memberships table has the columns version 2's view has).
// Version 2's views named the catalog segrun_store, so they failed in a DuckDB client that opened the file
// (its catalog is named after the file); version 3's do not, and it records the exports each version wrote.
// Version 4 keeps each run's warnings (a data test of severity warn, say) with the run. Version 5 keeps
// the KPIs each version computed (kpi_values). Version 6 keeps each run's models, their metrics and fitted
// parameters (migrate_5to6_models.go). Version 7 keeps segrun measure's results; version 8 each delivery of an
// audience version to a destination (migrate_7to8.go).
const SchemaVersion = 8

// Store is the versioned store: a DuckDB file holding every published version of a pipeline's
// segmentations. It is attached to a workspace database, so a run computes in the workspace and publishes
// with one transaction that writes only the store.
//
// Memberships are validity intervals (valid_from_run, valid_to_run): a membership is a row from the run
// that started it until the run that ended it (NULL while current), so storage grows with changes, not
// with runs.
type Store struct {
	// db is the store's database, every statement rewritten for its dialect d.
	db conn
	d  dialect
	// raw is db without the rewriting; local, on PostgreSQL, the in-memory DuckDB database an export is
	// written from (postgres_export.go).
	raw   conn
	local sql.Workspace
	// Path says where the store is, in messages: its file, or postgres:SCHEMA.
	Path string
	// closeConn closes the connection a PostgreSQL store opened (and with it its lock); nil for a DuckDB
	// store, which is the workspace's.
	closeConn func() error
	// version is the store's schema version; a store opened read-only keeps an older one, and reads only
	// the columns it has.
	version int
	// staged says, per segmentation, whether Diff staged its changes as a TABLE or a VIEW.
	staged map[string]string
}

// Mode says how a store is opened.
type Mode int

const (
	// ReadWrite opens (creating if missing) for a run that publishes.
	ReadWrite Mode = iota
	// ReadOnly opens an existing store to read its history.
	ReadOnly
)

// ErrNoStore is returned when a store to read does not exist.
var ErrNoStore = errors.New("no store")

// NotYetOnPostgres is the error of a command that reaches only a DuckDB store file, given a store on
// PostgreSQL: said before anything looks for a file of that name (which "no store at postgres:shop" was).
func NotYetOnPostgres(path string) error {
	return fmt.Errorf("store %s is a PostgreSQL schema: this command reaches only a DuckDB store file so far (runs, show, changes, kpis, models, report, export, deliveries, deliver, measure, docs and rollback read a PostgreSQL store)", path)
}

// Attach attaches the store file at path to db. If another process holds it, Attach waits up to
// wait for it to be released, then fails with sql.ErrLocked naming the store.
func Attach(ctx context.Context, db sql.Workspace, path string, mode Mode, wait time.Duration) (*Store, error) {
	if _, ok := PostgresSchema(path); ok {
		// Not a file to create: OpenPostgres opens it, for the commands that read it so far.
		return nil, NotYetOnPostgres(path)
	}
	if mode == ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w at %s (run a pipeline first, or pass --store)", ErrNoStore, path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		err := sql.Attach(ctx, db, path, Catalog, mode == ReadOnly)
		if err == nil {
			break
		}
		var locked *sql.LockedError
		if !errors.As(err, &locked) {
			return nil, fmt.Errorf("opening store %s: %v", path, err)
		}
		if time.Now().After(deadline) {
			msg := locked.Holder
			if wait > 0 {
				msg += fmt.Sprintf(" (waited %s)", wait)
			} else {
				msg += "; pass --wait 10m to wait for it"
			}
			// Wrapping the LockedError keeps its holder for callers (and errors.Is(err, sql.ErrLocked)).
			return nil, fmt.Errorf("store %s: %w%s", path, locked, strings.TrimPrefix(msg, locked.Holder))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	s := newStore(workspaceConn{db}, dialect{}, path)
	if mode == ReadWrite {
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.checkVersion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// newStore is a store on db, which speaks dialect d.
func newStore(db conn, d dialect, path string) *Store {
	return &Store{db: dialectConn{db: db, d: d}, raw: db, d: d, Path: path}
}

// Close releases what the store opened itself: a PostgreSQL store's connection, and the lock a writer
// holds with it. A DuckDB store is detached with its workspace, which the caller closes.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	var err error
	if s.local != nil {
		err = s.local.Close()
		s.local = nil
	}
	if s.closeConn != nil {
		c := s.closeConn
		s.closeConn = nil
		err = errors.Join(err, c())
	}
	return err
}
