package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/segrun/segrun/sql"
)

// migrations[i] upgrades a store of schema version i+1 to version i+2, inside the transaction of migrate:
// a store is upgraded whole, through every step after its version, or not at all. A new schema version
// adds its step here, in a file of its own (migrate_2to3.go), and a fixture store of the version before
// to testdata.
var migrations = []func(*Store, context.Context) error{
	(*Store).migrate1to2,
	(*Store).migrate2to3,
	(*Store).migrate3to4,
	(*Store).migrate4to5,
	(*Store).migrate5to6,
	(*Store).migrate6to7,
	(*Store).migrate7to8,
}

// migrate prepares a store for writing, in one transaction: a new store gets the current schema, an older
// one is upgraded; a newer one (or one that is not a segrun store) is left as it is for checkVersion to
// refuse.
func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	for _, q := range storeDDL {
		if err := s.db.Exec(ctx, q); err != nil {
			_ = s.db.Exec(ctx, "ROLLBACK")
			return fmt.Errorf("preparing store %s: %w", s.Path, err)
		}
	}
	err := s.upgrade(ctx)
	if err != nil {
		_ = s.db.Exec(ctx, "ROLLBACK")
		return fmt.Errorf("preparing store %s: %w", s.Path, err)
	}
	return s.db.Exec(ctx, "COMMIT")
}

// checkVersion refuses a store this segrun cannot read: a newer schema, or no segrun store at all.
func (s *Store) checkVersion(ctx context.Context) error {
	v, err := s.Meta(ctx, "schema_version")
	if err != nil {
		if sql.ParseError(err, "").Kind == "Catalog" {
			// No segrun table in it: DuckDB's catalog error would only confuse.
			return fmt.Errorf("%s is not a segrun store (a DuckDB file without segrun's tables): give the store a run published to", s.Path)
		}
		return fmt.Errorf("store %s: reading its schema version: %w", s.Path, err)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > SchemaVersion {
		return fmt.Errorf("store %s has schema version %s; this segrun reads versions 1 to %d", s.Path, v, SchemaVersion)
	}
	s.version = n
	return nil
}

// upgrade brings the store's schema version to SchemaVersion, running each step after its version.
func (s *Store) upgrade(ctx context.Context) error {
	v, err := s.Meta(ctx, "schema_version")
	if err != nil {
		return err
	}
	from := SchemaVersion // a new store: the DDL created the current schema
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n >= SchemaVersion {
			return nil // current, or for checkVersion to refuse
		}
		from = n
	}
	if s.d.postgres() && from < pgFirstVersion {
		// Never written so: the steps before are DuckDB's (its catalog functions, its old layouts).
		return fmt.Errorf("schema version %d predates stores on PostgreSQL", from)
	}
	for step := from; step < SchemaVersion; step++ {
		if err := migrations[step-1](s, ctx); err != nil {
			return err
		}
	}
	return s.SetMeta(ctx, "schema_version", fmt.Sprint(SchemaVersion))
}
