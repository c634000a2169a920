package store

import (
	"context"
	"fmt"
)

// migrate2to3 recreates the views and macro of a store published to before version 3, whose bodies named
// the segrun_store catalog, inside the caller's transaction.
func (s *Store) migrate2to3(ctx context.Context) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = ? AND schema_name = 'main' AND table_name = 'membership_intervals'`, Catalog).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil // no version was published yet: the first one creates the views
	}
	if err := s.createMembershipViews(ctx, false, ""); err != nil {
		return fmt.Errorf("upgrading the views: %w", err)
	}
	return nil
}
