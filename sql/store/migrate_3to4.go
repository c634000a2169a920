package store

import "context"

// migrate3to4 gives the run history its warnings column, inside the caller's transaction. Earlier runs
// kept no warnings: theirs read as none.
func (s *Store) migrate3to4(ctx context.Context) error {
	return s.db.Exec(ctx, `ALTER TABLE segrun_store.runs ADD COLUMN IF NOT EXISTS warnings JSON`)
}
