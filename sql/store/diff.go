package store

import (
	"cmp"
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"

	"github.com/segrun/segrun/sql"
)

// Version is one segmentation's result in a run, ready to publish: a workspace table with the entity
// column and segment, plus what the store records about it.
type Version struct {
	Segmentation string
	// Table is the workspace table holding the result; EntityColumn names its entity column.
	Table        string
	EntityColumn string
	Method       string
	// Multi marks segmentations where an entity may be in several segments; they have no transition matrix.
	Multi bool
	// Entities is the number of rows of the segmentation's input: every entity it could assign.
	Entities int64
	// Summary and Model are stored with the version.
	Summary Summary
	Model   Model
	// Descriptions gives segments a readable description (clusters described by their centroid).
	Descriptions map[string]string
	// Segments are the segments this version can assign, DBSCAN's noise aside: a declared rule's
	// segment, a cluster of the model. The store does not read it; min_size holds each of them, empty or
	// not, and none of the previous version's others.
	Segments []string
	// Staged says the segmentation has already written DiffTable against the base version: the rows that
	// changed (entity, old, new), the same rows Diff would have staged.
	Staged bool
}

// Diff is what publishing a version changes against the base version.
type Diff struct {
	Segmentation string `json:"segmentation"`
	// Entities is the number of rows in the segmentation's input; Assigned is how many have a segment.
	Entities    int64         `json:"entities"`
	Assigned    int64         `json:"assigned"`
	Entered     int64         `json:"entered"`
	Exited      int64         `json:"exited"`
	Segments    []SegmentStat `json:"segments"`
	Transitions []Transition  `json:"transitions,omitempty"`
}

// SegmentStat is one segment's size and movement.
type SegmentStat struct {
	Segment     string  `json:"segment"`
	Size        int64   `json:"size"`
	Share       float64 `json:"share"`
	Entered     int64   `json:"entered"`
	Exited      int64   `json:"exited"`
	Stayed      int64   `json:"stayed"`
	Description string  `json:"description,omitempty"`
}

// Transition counts entities that moved from one segment to another; "" is no segment (new, or gone).
type Transition struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Entities int64  `json:"entities"`
}

func diffTable(segmentation string) string { return sql.Ident(DiffTable(segmentation)) }

// DiffTable is the workspace table where a version's changes are staged for publishing: Diff creates it,
// unless the segmentation staged it itself (Version.Staged).
func DiffTable(segmentation string) string { return "segrun_diff_" + segmentation }

// The rows of a diff table (which holds only rows that changed) that entered or exited a segment.
const (
	enteredRows = "new IS NOT NULL"
	exitedRows  = "old IS NOT NULL"
)

// Diff compares a version with the store's memberships as of run base (0: no previous version). A full
// join of the new result with the previous memberships gives each entity's old and new segment; only the
// rows that changed are staged in the workspace, for Publish (on a daily refresh most entities stay put,
// so the stage and the writes from it are a fraction of the entities). Every count follows from the staged
// rows grouped by (old, new) and the new segments' sizes; nothing is written to the store.
func (s *Store) Diff(ctx context.Context, base int64, v Version) (*Diff, error) {
	ent := sql.Ident(v.EntityColumn)
	newRows := fmt.Sprintf("SELECT %s AS entity, segment FROM %s WHERE segment IS NOT NULL", ent, sql.Ident(v.Table))
	// Against no version every row is new: the stage is a view of the result rather than a copy of it
	// (a million rows written for nothing took 0.02-0.04 s per segmentation).
	kind := "VIEW"
	q := fmt.Sprintf("SELECT entity, NULL::VARCHAR AS old, segment AS new FROM (%s) n", newRows)
	switch {
	case base != 0 && v.Staged:
		kind, q = "TABLE", ""
	case base != 0:
		kind = "TABLE"
		// Single-valued: joined on the entity, a row changed when its segment did. Multi-valued: joined on
		// entity and segment, a row changed when one side is missing.
		on := "n.entity = p.entity"
		if v.Multi {
			on += " AND n.segment = p.segment"
		}
		q = fmt.Sprintf(`SELECT coalesce(n.entity, p.entity) AS entity, p.segment AS old, n.segment AS new
			FROM (%s) n
			FULL JOIN (SELECT entity, segment FROM %s prev WHERE segmentation = %s) p ON %s
			WHERE n.segment IS DISTINCT FROM p.segment`, newRows, MembershipsAsOf(base), sql.Literal(v.Segmentation), on)
	}
	if q != "" { // "": the segmentation staged its changes itself
		for _, stmt := range s.d.replace(kind, diffTable(v.Segmentation), q) {
			if err := s.db.Exec(ctx, stmt); err != nil {
				return nil, fmt.Errorf("comparing %s with the previous version: %w", v.Segmentation, err)
			}
		}
	}
	if s.staged == nil {
		s.staged = map[string]string{}
	}
	s.staged[v.Segmentation] = kind
	d := &Diff{Segmentation: v.Segmentation, Entities: v.Entities}
	sizes := map[string]int64{}
	if err := s.eachRow(ctx, func(seg string, n int64) {
		sizes[seg] = n
		d.Assigned += n
	}, fmt.Sprintf("SELECT segment, count(*) FROM (%s) n GROUP BY segment", newRows)); err != nil {
		return nil, err
	}
	if v.Multi {
		if err := s.db.QueryRow(ctx, fmt.Sprintf("SELECT count(DISTINCT entity) FROM (%s) n", newRows)).Scan(&d.Assigned); err != nil {
			return nil, err
		}
	}
	stats := map[string]*SegmentStat{}
	stat := func(seg string) *SegmentStat {
		if stats[seg] == nil {
			stats[seg] = &SegmentStat{Segment: seg}
		}
		return stats[seg]
	}
	moved := map[[2]string]int64{}
	rows, err := s.db.Query(ctx, fmt.Sprintf("SELECT old, new, count(*) FROM %s GROUP BY old, new", diffTable(v.Segmentation)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var from, to stdsql.NullString
		var n int64
		if err := rows.Scan(&from, &to, &n); err != nil {
			return nil, err
		}
		if from.Valid {
			stat(from.String).Exited += n
			d.Exited += n
		}
		if to.Valid {
			stat(to.String).Entered += n
			d.Entered += n
		}
		// In transitions "" is no segment (new, or gone); segment names are never empty (the spec's
		// schema requires identifiers).
		moved[[2]string{from.String, to.String}] += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for seg, n := range sizes {
		st := stat(seg)
		st.Size = n
		st.Stayed = n - st.Entered
		if st.Stayed > 0 {
			moved[[2]string{seg, seg}] += st.Stayed
		}
	}
	for _, st := range stats {
		if d.Entities > 0 {
			st.Share = float64(st.Size) / float64(d.Entities)
		}
		st.Description = v.Descriptions[st.Segment]
		d.Segments = append(d.Segments, *st)
	}
	slices.SortFunc(d.Segments, func(a, b SegmentStat) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.Segment, b.Segment))
	})
	if !v.Multi {
		for fromTo, n := range moved {
			d.Transitions = append(d.Transitions, Transition{From: fromTo[0], To: fromTo[1], Entities: n})
		}
		slices.SortFunc(d.Transitions, func(a, b Transition) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	}
	return d, nil
}

// eachRow runs a query returning (text, count) rows and calls fn for each.
func (s *Store) eachRow(ctx context.Context, fn func(string, int64), q string, args ...any) error {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return err
		}
		fn(k, n)
	}
	return rows.Err()
}

// queryTransitions runs a query returning (from, to, entities) rows.
func (s *Store) queryTransitions(ctx context.Context, q string, args ...any) ([]Transition, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transition
	for rows.Next() {
		var t Transition
		if err := rows.Scan(&t.From, &t.To, &t.Entities); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DropStaging removes the workspace table or view Diff created.
func (s *Store) DropStaging(ctx context.Context, segmentation string) error {
	kind, ok := s.staged[segmentation]
	if !ok {
		return nil
	}
	delete(s.staged, segmentation)
	return s.db.Exec(ctx, "DROP "+kind+" IF EXISTS "+diffTable(segmentation))
}
