package store

import (
	"context"
	stdsql "database/sql"
	"errors"
)

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
