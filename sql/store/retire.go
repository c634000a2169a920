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
	out, err := s.Retiring(ctx, run, versions)
	if err != nil {
		return nil, err
	}
	for _, r := range out {
		if err := s.db.Exec(ctx, fmt.Sprintf("UPDATE segrun_store.membership_intervals SET valid_to_run = %d WHERE %s", run, currentMembers(r.Segmentation))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Retiring lists what publishing versions as version run would retire: the segmentations the latest
// published version before run has and versions does not, with their current members. It writes nothing,
// so a dry run can show it.
func (s *Store) Retiring(ctx context.Context, run int64, versions []Version) ([]Retired, error) {
	prev, err := s.PublishedBefore(ctx, run)
	if err != nil || prev == nil {
		return nil, err
	}
	before, err := s.Segmentations(ctx, prev.ID)
	if err != nil {
		return nil, err
	}
	var out []Retired
	for _, name := range before {
		if slices.ContainsFunc(versions, func(v Version) bool { return v.Segmentation == name }) {
			continue
		}
		r := Retired{Segmentation: name}
		if err := s.db.QueryRow(ctx, "SELECT count(DISTINCT entity) FROM segrun_store.membership_intervals WHERE "+currentMembers(name)).Scan(&r.Members); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// currentMembers is the condition on membership_intervals of segmentation's current memberships.
func currentMembers(segmentation string) string {
	return fmt.Sprintf(`valid_to_run IS NULL AND code IN (SELECT code FROM segrun_store.segment_codes WHERE segmentation = %s)`, sql.Literal(segmentation))
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

// RetiredExits counts, for each segment, the members segmentation's retirement in version run ended:
// what `segrun changes` shows for the version that retired it, which has no record of its own of it.
func (s *Store) RetiredExits(ctx context.Context, run int64, segmentation string) ([]SegmentStat, error) {
	var out []SegmentStat
	err := s.eachRow(ctx, func(segment string, exited int64) { out = append(out, SegmentStat{Segment: segment, Exited: exited}) },
		`SELECT segment, count(*) FROM segrun_store.changes WHERE run_id = ? AND segmentation = ? AND event = 'exited'
		GROUP BY segment ORDER BY segment`, run, segmentation)
	return out, err
}
