package store

import (
	"context"
	"slices"
	"time"
)

// to path, after the file is in place: a retry of the run then knows it need not write it again.
func (s *Store) RecordExport(ctx context.Context, run int64, segmentation string, changes bool, path string) error {
	if err := s.db.Exec(ctx, "DELETE FROM segrun_store.exports WHERE run_id = ? AND path = ?", run, path); err != nil {
		return err
	}
	return s.db.Exec(ctx, "INSERT INTO segrun_store.exports VALUES (?, ?, ?, ?, ?)", run, segmentation, changes, path, time.Now().UTC())
}

// ExportWritten says whether the file at path holds version run's export of segmentation (its change log
// when changes): the latest export recorded to path is that one. A later version's export to the same path
// (since rolled back, say) means the file holds something else.
func (s *Store) ExportWritten(ctx context.Context, run int64, segmentation string, changes bool, path string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT * FROM segrun_store.exports WHERE path = ? ORDER BY written_at DESC, run_id DESC LIMIT 1) latest
		WHERE run_id = ? AND segmentation = ? AND changes = ?`, path, run, segmentation, changes).Scan(&n)
	return n > 0, err
}

// ExportPaths lists the files (and destinations' labels) that the given versions wrote, sorted, each once.
func (s *Store) ExportPaths(ctx context.Context, runs []int64) ([]string, error) {
	var out []string
	for _, run := range runs {
		paths, err := s.texts(ctx, "SELECT DISTINCT path FROM segrun_store.exports WHERE run_id = ?", run)
		if err != nil {
			return nil, err
		}
		out = append(out, paths...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
