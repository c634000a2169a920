package store

import (
	"context"
	stdsql "database/sql"
	"errors"
)

// PublishedVersion is the latest published version that has segmentation (an audience too), or version run
// if it has it (run 0: any), with the method that version stored it by; 0 and "" when there is none. It
// reads the store's own tables, so it answers alike for a DuckDB file and a PostgreSQL schema.
func (s *Store) PublishedVersion(ctx context.Context, segmentation string, run int64) (int64, string, error) {
	var found int64
	var method string
	err := s.db.QueryRow(ctx, `SELECT v.run_id, v.method FROM segrun_store.segmentation_versions v
		JOIN segrun_store.runs r ON r.run_id = v.run_id
		WHERE r.status = ? AND v.segmentation = ? AND (? = 0 OR v.run_id = ?) ORDER BY v.run_id DESC LIMIT 1`,
		StatusPublished, segmentation, run, run).Scan(&found, &method)
	if errors.Is(err, stdsql.ErrNoRows) {
		return 0, "", nil
	}
	return found, method, err
}
