package store

import (
	"context"
	"errors"
	"fmt"
)

// undo takes a published run back out of the memberships: intervals it opened are deleted and intervals it
// closed are reopened, which also takes its change log away. run must be the latest version still
// published. The runs row stays, with status (replaced, rolled back) and the run that replaced it (0:
// none), for the audit trail; so do its segmentation_versions and exports rows.
func (s *Store) undo(ctx context.Context, run int64, status string, by int64) error {
	var replacedBy any
	if by != 0 {
		replacedBy = by
	}
	for _, q := range []string{
		fmt.Sprintf(`DELETE FROM segrun_store.membership_intervals WHERE valid_from_run = %d`, run),
		fmt.Sprintf(`UPDATE segrun_store.membership_intervals SET valid_to_run = NULL WHERE valid_to_run = %d`, run),
		fmt.Sprintf(`DELETE FROM segrun_store.transitions WHERE run_id = %d`, run),
		fmt.Sprintf(`DELETE FROM segrun_store.segments WHERE run_id = %d`, run),
	} {
		if err := s.db.Exec(ctx, q); err != nil {
			return fmt.Errorf("taking back version %d: %w", run, err)
		}
	}
	if err := s.db.Exec(ctx, `UPDATE segrun_store.runs SET status = ?, replaced_by = ? WHERE run_id = ?`, status, replacedBy, run); err != nil {
		return fmt.Errorf("taking back version %d: %w", run, err)
	}
	return nil
}

// RollBack retires every published version after version to (0: all of them), latest first, in one
// transaction: the store is then as it was before them, version to being the latest, and the next run
// compares with it. The rolled-back runs stay in runs, as rolled back. It returns them, latest first.
func (s *Store) RollBack(ctx context.Context, to int64) (rolled []Run, err error) {
	rolled, err = s.queryRuns(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs WHERE status = ? AND run_id > ? ORDER BY run_id DESC",
		StatusPublished, to)
	if err != nil || len(rolled) == 0 {
		return nil, err
	}
	if err := s.db.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.db.Exec(context.WithoutCancel(ctx), "ROLLBACK"))
		}
	}()
	for _, r := range rolled {
		if err := s.undo(ctx, r.ID, StatusRolledBack, 0); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted: leave the store as it was
	}
	if err := s.db.Exec(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	return rolled, nil
}
