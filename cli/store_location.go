package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// readerWait is how long the store readers (runs, show, changes, export) wait by default for a store a
// run holds: a run holds its store for its whole length, and a dashboard's query failing for that long
// would be a surprise. --wait 0 fails at once.
const readerWait = 10 * time.Minute

// storeFlags are the flags of the commands that read the store, and how they find it: the way run does,
// from the spec (its store:, relative to the spec) or --store.
type storeFlags struct {
	store *string
	spec  *string
	run   *int64
	wait  *time.Duration
}

func addStoreFlags(fs *flagSet, withRun bool) *storeFlags {
	sf := &storeFlags{
		store: fs.String("store", "", "the versioned store's `PATH`, or postgres:SCHEMA for a store in a PostgreSQL schema (connecting with "+store.EnvDSN+"; default: the spec's store, else "+spec.DefaultStore+" in the current directory)"),
		spec:  fs.String("spec", "", "the pipeline's `SPEC` file, whose store to read (or give it as the last argument)"),
		wait:  fs.nonNegative("wait", readerWait, "wait this long (a `DURATION`) for a store a run is using; 0 fails at once"),
	}
	fs.check("store", func() error {
		if schema, ok := store.PostgresSchema(*sf.store); ok {
			if schema == "" {
				return errors.New("give the schema: postgres:SCHEMA")
			}
			return nil
		}
		return checkStorePath(*sf.store)
	})
	fs.check("spec", func() error { return checkFilePath(*sf.spec) })
	if withRun {
		sf.run = fs.Int64("run", 0, "the version `N` to read (default: the latest)")
		fs.check("run", func() error {
			if *sf.run < 1 {
				return errors.New("versions are numbered from 1 (segrun runs lists them); leave --run out for the latest")
			}
			return nil
		})
	}
	return sf
}

// isSpecFile tells a spec given as an argument from a segmentation's name.
func isSpecFile(arg string) bool {
	ext := strings.ToLower(filepath.Ext(arg))
	return ext == ".yaml" || ext == ".yml"
}

// takeSpec moves a spec file given as the last argument into --spec; it returns the other arguments, or a
// usage mistake.
func (sf *storeFlags) takeSpec(args []string) ([]string, error) {
	if n := len(args); n > 0 && isSpecFile(args[n-1]) {
		if *sf.spec != "" {
			return nil, fmt.Errorf("give the spec once: as the last argument or with --spec, not both")
		}
		*sf.spec = args[n-1]
		return args[:n-1], nil
	}
	return args, nil
}

// locate finds the store: --store, else the spec's store, else segrun.duckdb in the current directory. A
// store that does not exist is an error saying where segrun looked and how to point it elsewhere.
func (sf *storeFlags) locate() (string, error) {
	path, from := *sf.store, "given with --store"
	switch {
	case path != "":
	case *sf.spec != "":
		s, _, err := spec.Load(*sf.spec)
		if err != nil {
			return "", fmt.Errorf("reading the spec: %w", err)
		}
		if s == nil {
			return "", userErrorf("%s is not a spec (segrun validate %s says why)", *sf.spec, *sf.spec)
		}
		path, from = s.StorePath(), "the store of "+*sf.spec
	default:
		path, from = spec.DefaultStore, "the default in the current directory; give the spec (segrun show SEGMENTATION SPEC) or --store PATH"
	}
	if _, ok := store.PostgresSchema(path); ok {
		return path, nil // AttachPostgres says when the schema has no store
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w at %s (%s); a store exists once a run has published to it", store.ErrNoStore, path, from)
	}
	return path, nil
}

// openStore attaches a store read-only to a fresh in-memory database. When a run holds the store it says
// so on stderr and waits, up to wait.
func (e *env) openStore(ctx context.Context, path string, wait time.Duration) (sql.Workspace, *store.Store, error) {
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Attach(ctx, db, path, store.ReadOnly, 0)
	var locked *sql.LockedError
	if errors.As(err, &locked) && wait > 0 {
		// Who holds it: a run, or a DuckDB client that will not let go by itself.
		e.errorf("store %s is in use, %s; waiting up to %s for it (--wait 0 fails at once)", path, locked.Holder, wait)
		st, err = store.Attach(ctx, db, path, store.ReadOnly, wait)
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted while waiting for store %s; nothing was read: %w", path, ctx.Err())
		}
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, st, nil
}

// openReader opens the store at location for reading: a DuckDB file attached read-only to a fresh
// in-memory database (closed with it), or a schema of the PostgreSQL database SEGRUN_PG_DSN names, which
// a reader never waits for (a run publishing holds no lock against readers there).
func (e *env) openReader(ctx context.Context, location string, wait time.Duration) (io.Closer, *store.Store, error) {
	if schema, ok := store.PostgresSchema(location); ok {
		st, err := store.OpenPostgres(ctx, os.Getenv(store.EnvDSN), schema, store.ReadOnly, 0)
		if err != nil {
			return nil, nil, err
		}
		return st, st, nil
	}
	return e.openStore(ctx, location, wait)
}

// openWriter opens the store at location for writing (rollback), waiting up to wait, with a word on
// stderr, while a run holds it. The closer releases the store (and a DuckDB store's workspace).
func (e *env) openWriter(ctx context.Context, location string, wait time.Duration) (io.Closer, *store.Store, error) {
	open := func(wait time.Duration) (io.Closer, *store.Store, error) {
		if schema, ok := store.PostgresSchema(location); ok {
			// Opening for writing creates a missing store: look first, as a file's absence is found.
			r, err := store.OpenPostgres(ctx, os.Getenv(store.EnvDSN), schema, store.ReadOnly, 0)
			if err != nil {
				return nil, nil, err
			}
			r.Close()
			st, err := store.OpenPostgres(ctx, os.Getenv(store.EnvDSN), schema, store.ReadWrite, wait)
			return st, st, err
		}
		db, err := sql.Open(ctx, "", sql.Options{})
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Attach(ctx, db, location, store.ReadWrite, wait)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return db, st, nil
	}
	c, st, err := open(0)
	if errors.Is(err, sql.ErrLocked) && wait > 0 {
		e.errorf("store %s is in use; waiting up to %s for it (--wait 0 fails at once)", location, wait)
		c, st, err = open(wait)
	}
	return c, st, err
}

// open is the start every store-reading command shares: the spec taken from rest (or --spec/--store), at
// most max other arguments (tooMany is the usage error otherwise), then the store found and opened. When
// ok is false, code is the exit code and the message has been written.
func (sf *storeFlags) open(ctx context.Context, e *env, fs *flagSet, rest []string, max int, tooMany string) (args []string, db io.Closer, st *store.Store, code int, ok bool) {
	args, err := sf.takeSpec(rest)
	if err != nil {
		return nil, nil, nil, fs.usageError(e, "%v", err), false
	}
	if len(args) > max {
		return nil, nil, nil, fs.usageError(e, "%s", tooMany), false
	}
	path, err := sf.locate()
	if err != nil {
		return nil, nil, nil, e.fail(err), false
	}
	if db, st, err = e.openReader(ctx, path, *sf.wait); err != nil {
		return nil, nil, nil, e.fail(err), false
	}
	return args, db, st, 0, true
}
