package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/segrun/segrun/sql"
)

type Retired struct {
	Segmentation string `json:"segmentation"`
	Members      int64  `json:"members"`
}

// retire ends, in version run, the memberships of every segmentation the latest version before it
// published and versions does not have, inside the publishing transaction.
func (s *Store) retire(ctx context.Context, run int64, versions []Version) ([]Retired, error) {
	rows, err := s.db.Query(ctx, `SELECT segmentation FROM segrun_store.segmentation_versions
		WHERE run_id = (SELECT max(run_id) FROM segrun_store.runs WHERE status = ? AND run_id < ?) ORDER BY segmentation`, StatusPublished, run)
	if err != nil {
		return nil, err
	}
	var before []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		before = append(before, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []Retired
	for _, name := range before {
		if slices.ContainsFunc(versions, func(v Version) bool { return v.Segmentation == name }) {
			continue
		}
		r := Retired{Segmentation: name}
		current := fmt.Sprintf(`valid_to_run IS NULL AND code IN (SELECT code FROM segrun_store.segment_codes WHERE segmentation = %s)`, sql.Literal(name))
		if err := s.db.QueryRow(ctx, "SELECT count(DISTINCT entity) FROM segrun_store.membership_intervals WHERE "+current).Scan(&r.Members); err != nil {
			return nil, err
		}
		if err := s.db.Exec(ctx, fmt.Sprintf("UPDATE segrun_store.membership_intervals SET valid_to_run = %d WHERE %s", run, current)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Retirement says when a segmentation no longer published was retired: last is the latest published
// version that has it, retiredIn the published version after it (0: none, it is still current; both 0:
// no published version ever had it).
func (s *Store) Retirement(ctx context.Context, segmentation string) (last, retiredIn int64, err error) {
	err = s.db.QueryRow(ctx, `SELECT coalesce(max(v.run_id), 0) FROM segrun_store.segmentation_versions v JOIN segrun_store.runs r USING (run_id)
		WHERE r.status = ? AND v.segmentation = ?`, StatusPublished, segmentation).Scan(&last)
	if err != nil || last == 0 {
		return 0, 0, err
	}
	err = s.db.QueryRow(ctx, "SELECT coalesce(min(run_id), 0) FROM segrun_store.runs WHERE status = ? AND run_id > ?", StatusPublished, last).Scan(&retiredIn)
	return last, retiredIn, err
}
