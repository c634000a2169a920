package runner

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// Where segrun measure computes: on DuckDB, an in-memory workspace with the store file attached and the
// outcome's files read there; on engine postgres, a run schema of the engine's database, whose outcome
// source is a table there and whose store is a schema of the same database, so that the per-member join
// of memberships and events runs inside the server and only one row per segment and group comes out.

// measureWorkspace opens the workspace measure computes in and the store it reads and writes (at path).
func measureWorkspace(ctx context.Context, s *spec.Spec, path string, wait time.Duration) (sql.Workspace, *store.Store, error) {
	schema, onPostgres := store.PostgresSchema(path)
	if !s.IsPostgres() {
		if onPostgres {
			return nil, nil, PostgresStoreNeedsPostgresSpec(path)
		}
		db, err := sql.Open(ctx, "", sql.Options{})
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Attach(ctx, db, path, store.ReadWrite, wait)
		if err != nil {
			db.Close()
			return nil, nil, err
		}
		return db, st, nil
	}
	if !onPostgres {
		return nil, nil, failf("", "engine postgres publishes into a store in a schema of its database (store: postgres:SCHEMA, or --store postgres:SCHEMA); %s is a file, which no run of this spec publishes to", path)
	}
	db, err := postgres.OpenEnv(ctx, s.PostgresDSNEnv(), "measure_"+strconv.Itoa(os.Getpid())+"_"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if err != nil {
		return nil, nil, err
	}
	dsn := os.Getenv(s.PostgresDSNEnv())
	// Opening for writing would create a missing store: look first, as a missing file is found.
	r, err := store.OpenPostgres(ctx, dsn, schema, store.ReadOnly, 0)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	r.Close()
	st, err := store.OpenPostgres(ctx, dsn, schema, store.ReadWrite, wait)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, st, nil
}

// PostgresStoreNeedsPostgresSpec is measure's error for a DuckDB spec given a store on PostgreSQL (exit 3).
func PostgresStoreNeedsPostgresSpec(path string) error {
	return fmt.Errorf("store %s is a PostgreSQL schema: measure reads one for a spec on engine postgres, whose outcome sources are tables of that database; this spec runs on DuckDB, whose runs publish to a store file", path)
}

// outcomeEvents is the relation an outcome's source is read from: its files, as validation resolved them,
// or on engine postgres its table.
func outcomeEvents(v *Validation, source string) string {
	if src, ok := v.Spec.Sources.Get(source); ok && src.Table != "" {
		return qualified(src.Table)
	}
	read := v.Sources[source]
	return sql.ReadSQL(read.Format, read.Paths, read.Options)
}
