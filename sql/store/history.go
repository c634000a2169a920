package store

import (
	"context"
	"encoding/json"
	"time"
)

// The history reads: a segmentation across every published version in one statement each, for segrun
// report. They read the per-version aggregates (segments, segmentation_versions), never the memberships,
// so their cost grows with versions x segments, not with entities.

// SegmentSizes is one segment's size in one published version.
type SegmentSizes struct {
	Run     int64
	AsOf    time.Time
	Segment string
	Size    int64
	Share   float64
}

// SegmentHistory returns a segmentation's segment sizes in every published version, oldest first.
func (s *Store) SegmentHistory(ctx context.Context, segmentation string) ([]SegmentSizes, error) {
	rows, err := s.db.Query(ctx, `SELECT s.run_id, r.as_of, s.segment, s.size, s.share
		FROM segrun_store.segments s JOIN segrun_store.runs r USING (run_id)
		WHERE s.segmentation = ? AND r.status = ? ORDER BY s.run_id, s.size DESC, s.segment`, segmentation, StatusPublished)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentSizes
	for rows.Next() {
		var v SegmentSizes
		if err := rows.Scan(&v.Run, &v.AsOf, &v.Segment, &v.Size, &v.Share); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// VersionRecord is a segmentation's record in one published version, with its summary (not its model:
// a clustering's model is read only for the version that needs it, with Version).
type VersionRecord struct {
	Run      int64
	AsOf     time.Time
	Method   string
	Entities int64
	Assigned int64
	Summary  Summary
}

// VersionHistory returns a segmentation's record in every published version, oldest first.
func (s *Store) VersionHistory(ctx context.Context, segmentation string) ([]VersionRecord, error) {
	rows, err := s.db.Query(ctx, `SELECT v.run_id, r.as_of, v.method, v.entities, v.assigned, coalesce(v.summary::VARCHAR, 'null')
		FROM segrun_store.segmentation_versions v JOIN segrun_store.runs r USING (run_id)
		WHERE v.segmentation = ? AND r.status = ? ORDER BY v.run_id`, segmentation, StatusPublished)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VersionRecord
	for rows.Next() {
		var v VersionRecord
		var summary string
		if err := rows.Scan(&v.Run, &v.AsOf, &v.Method, &v.Entities, &v.Assigned, &summary); err != nil {
			return nil, err
		}
		v.Summary.raw = json.RawMessage(summary)
		out = append(out, v)
	}
	return out, rows.Err()
}
