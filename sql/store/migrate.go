package store

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strconv"
)

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
	// A new store gets the current version; an older one is upgraded; a newer one is left for checkVersion
	// to refuse.
	v, err := s.Meta(ctx, "schema_version")
	if err == nil && v == "1" {
		err = s.upgradeFrom1(ctx)
	}
	if err == nil && (v == "1" || v == "2") {
		err = s.upgradeViews(ctx)
	}
	if err == nil && (v == "" || v == "1" || v == "2") {
		err = s.SetMeta(ctx, "schema_version", fmt.Sprint(SchemaVersion))
	}
	if err != nil {
		_ = s.db.Exec(ctx, "ROLLBACK")
		return fmt.Errorf("preparing store %s: %w", s.Path, err)
	}
	return s.db.Exec(ctx, "COMMIT")
}

func (s *Store) checkVersion(ctx context.Context) error {
	v, err := s.Meta(ctx, "schema_version")
	if err != nil {
		return fmt.Errorf("store %s is not a segrun store: %w", s.Path, err)
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > SchemaVersion {
		return fmt.Errorf("store %s has schema version %s; this segrun reads versions 1 to %d", s.Path, v, SchemaVersion)
	}
	return nil
}

// Meta reads a store setting; "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM segrun_store.segrun_meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, stdsql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes a store setting (inside the publishing transaction).
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.db.Exec(ctx, `INSERT INTO segrun_store.segrun_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
}
