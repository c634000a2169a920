package sql

import (
	"cmp"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
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
	// Summary and Model are stored as JSON with the version.
	Summary any
	Model   any
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

func diffTable(segmentation string) string { return Ident(DiffTable(segmentation)) }

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
	ent := Ident(v.EntityColumn)
	newRows := fmt.Sprintf("SELECT %s AS entity, segment FROM %s WHERE segment IS NOT NULL", ent, Ident(v.Table))
	// Against no version every row is new: the stage is a view of the result rather than a copy of it
	// (a million rows written for nothing took 0.02-0.04 s per segmentation).
	kind := "VIEW"
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT entity, NULL::VARCHAR AS old, segment AS new FROM (%s)", diffTable(v.Segmentation), newRows)
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
		q = fmt.Sprintf(`CREATE OR REPLACE TABLE %s AS
			SELECT coalesce(n.entity, p.entity) AS entity, p.segment AS old, n.segment AS new
			FROM (%s) n
			FULL JOIN (SELECT entity, segment FROM %s WHERE segmentation = %s) p ON %s
			WHERE n.segment IS DISTINCT FROM p.segment`, diffTable(v.Segmentation), newRows, MembershipsAsOf(base), Literal(v.Segmentation), on)
	}
	if q != "" { // "": the segmentation staged its changes itself
		if err := s.db.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("comparing %s with the previous version: %w", v.Segmentation, err)
		}
	}
	if s.staged == nil {
		s.staged = map[string]string{}
	}
	s.staged[v.Segmentation] = kind
	d := &Diff{Segmentation: v.Segmentation, Entities: v.Entities}
	sizes := map[string]int64{}
	if err := s.eachRow(ctx, fmt.Sprintf("SELECT segment, count(*) FROM (%s) GROUP BY ALL", newRows), func(seg string, n int64) {
		sizes[seg] = n
		d.Assigned += n
	}); err != nil {
		return nil, err
	}
	if v.Multi {
		if err := s.db.QueryRow(ctx, fmt.Sprintf("SELECT count(DISTINCT entity) FROM (%s)", newRows)).Scan(&d.Assigned); err != nil {
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
	rows, err := s.db.Query(ctx, fmt.Sprintf("SELECT old, new, count(*) FROM %s GROUP BY ALL", diffTable(v.Segmentation)))
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
func (s *Store) eachRow(ctx context.Context, q string, fn func(string, int64)) error {
	rows, err := s.db.Query(ctx, q)
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

// RunRecord is what a published run records about itself.
type RunRecord struct {
	ID            int64
	Pipeline      string
	AsOf          time.Time
	Key           string
	SpecHash      string
	SegrunVersion string
	Vars          any
	Sources       any
	Steps         any
	StartedAt     time.Time
	// Entity and EntityType describe the entity column, recorded on the first run so exports can restore
	// the type memberships are stored as text.
	Entity, EntityType string
}

// TestHookBeforeCommit, when set, runs inside Publish's transaction after every write and before COMMIT.
// The crash tests use it to kill a run at its most delicate moment; it is nil otherwise.
var TestHookBeforeCommit func()

// Publish writes a run and its versions in one transaction: either all of it is in the store afterwards,
// or (on any error, a crash or a kill) none of it. replace, when not 0, is the run the new one supersedes
// (--force with a run key): its intervals and change log are undone first, in the same transaction.
// Diff must have staged every version against the version before replace.
//
// A segmentation the version before had and this one does not (removed from the spec, or renamed) is
// retired: its members exit in this version, as the change log shows. Publish returns the retired ones.
func (s *Store) Publish(ctx context.Context, rec RunRecord, replace int64, versions []Version, diffs []*Diff) (retired []Retired, err error) {
	if err := s.db.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.db.Exec(context.WithoutCancel(ctx), "ROLLBACK"))
		}
	}()
	if replace != 0 {
		if err := s.undo(ctx, replace, StatusReplaced, rec.ID); err != nil {
			return nil, err
		}
	}
	// A spec with no segmentation has no entity type: there is nothing to key by, and a store that has
	// the tables keeps them.
	if rec.EntityType != "" {
		if err := s.createMembershipViews(ctx, true, rec.EntityType); err != nil {
			return nil, fmt.Errorf("preparing store %s: %w", s.Path, err)
		}
	}
	if retired, err = s.retire(ctx, rec.ID, versions); err != nil {
		return nil, fmt.Errorf("retiring segmentations: %w", err)
	}
	for _, kv := range [][2]string{{"pipeline", rec.Pipeline}, {"entity", rec.Entity}, {"entity_type", rec.EntityType}} {
		if kv[1] == "" {
			continue // a spec with no segmentation: the entity type stays as the store has it
		}
		if err := s.SetMeta(ctx, kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	texts, err := jsonTexts(rec.Vars, rec.Sources, rec.Steps)
	if err != nil {
		return nil, err
	}
	var key any
	if rec.Key != "" {
		key = rec.Key
	}
	if err := s.db.Exec(ctx, `INSERT INTO segrun_store.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
		rec.ID, rec.Pipeline, StatusPublished, rec.AsOf, key, rec.SpecHash, rec.SegrunVersion, texts[0], texts[1], texts[2], rec.StartedAt, time.Now().UTC()); err != nil {
		return nil, err
	}
	for i, v := range versions {
		if err := s.publishVersion(ctx, rec.ID, v, diffs[i]); err != nil {
			return nil, fmt.Errorf("publishing %s: %w", v.Segmentation, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted: roll back rather than commit half a decision
	}
	if TestHookBeforeCommit != nil {
		TestHookBeforeCommit()
	}
	return retired, s.db.Exec(ctx, "COMMIT")
}

// Retired is a segmentation a version retired, and how many members it had then.
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
		current := fmt.Sprintf(`valid_to_run IS NULL AND code IN (SELECT code FROM segrun_store.segment_codes WHERE segmentation = %s)`, Literal(name))
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

func (s *Store) publishVersion(ctx context.Context, run int64, v Version, d *Diff) error {
	diff := diffTable(v.Segmentation)
	codes, err := s.segmentCodes(ctx, v.Segmentation, d.Segments)
	if err != nil {
		return err
	}
	stmts := []string{
		fmt.Sprintf(`UPDATE segrun_store.membership_intervals i SET valid_to_run = %d FROM (SELECT entity, old FROM %s WHERE %s) e
			WHERE i.valid_to_run IS NULL AND i.entity = e.entity AND i.code = %s`, run, diff, exitedRows, codeOf("e.old", codes)),
		fmt.Sprintf(`INSERT INTO segrun_store.membership_intervals SELECT entity, %s, %d, NULL FROM %s WHERE %s`,
			codeOf("new", codes), run, diff, enteredRows),
	}
	for _, q := range stmts {
		if err := s.db.Exec(ctx, q); err != nil {
			return err
		}
	}
	var segments, transitions [][]any
	for _, st := range d.Segments {
		var desc any
		if st.Description != "" {
			desc = st.Description
		}
		segments = append(segments, []any{run, v.Segmentation, st.Segment, st.Size, st.Share, st.Entered, st.Exited, st.Stayed, desc})
	}
	for _, t := range d.Transitions {
		transitions = append(transitions, []any{run, v.Segmentation, t.From, t.To, t.Entities})
	}
	if err := s.insertRows(ctx, "segrun_store.segments", "(?, ?, ?, ?, ?, ?, ?, ?, ?)", segments); err != nil {
		return err
	}
	if err := s.insertRows(ctx, "segrun_store.transitions", "(?, ?, nullif(?, ''), nullif(?, ''), ?)", transitions); err != nil {
		return err
	}
	texts, err := jsonTexts(v.Summary, v.Model)
	if err != nil {
		return err
	}
	return s.db.Exec(ctx, `INSERT INTO segrun_store.segmentation_versions VALUES (?, ?, ?, ?, ?, ?, ?)`,
		run, v.Segmentation, v.Method, d.Entities, d.Assigned, texts[0], texts[1])
}

// segmentCodes returns the code of every segment of a segmentation: those the store has, and new codes,
// inserted into segment_codes, for segments a version brings that it does not have yet.
func (s *Store) segmentCodes(ctx context.Context, segmentation string, segments []SegmentStat) (map[string]int32, error) {
	codes := map[string]int32{}
	rows, err := s.db.Query(ctx, "SELECT segment, code FROM segrun_store.segment_codes WHERE segmentation = ?", segmentation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var seg string
		var code int32
		if err := rows.Scan(&seg, &code); err != nil {
			return nil, err
		}
		codes[seg] = code
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var next int32
	if err := s.db.QueryRow(ctx, "SELECT coalesce(max(code), 0) + 1 FROM segrun_store.segment_codes").Scan(&next); err != nil {
		return nil, err
	}
	var added [][]any
	for _, st := range segments { // sorted by size, then name: codes are assigned in a reproducible order
		if _, ok := codes[st.Segment]; !ok {
			codes[st.Segment] = next
			added = append(added, []any{next, segmentation, st.Segment})
			next++
		}
	}
	return codes, s.insertRows(ctx, "segrun_store.segment_codes", "(?, ?, ?)", added)
}

// codeOf is the SQL expression turning the segment name in column col into its code; NULL for a name
// without one.
func codeOf(col string, codes map[string]int32) string {
	names := slices.Sorted(maps.Keys(codes))
	if len(names) == 0 {
		return "NULL::INTEGER"
	}
	var b strings.Builder
	b.WriteString("CASE " + col)
	for _, n := range names {
		fmt.Fprintf(&b, " WHEN %s THEN %d", Literal(n), codes[n])
	}
	b.WriteString(" END")
	return b.String()
}

// insertRows inserts rows into table, each row's values bound to the placeholders of tuple, with one
// statement per insertBatch rows: a version's segments and transitions are usually a few dozen rows, and a
// statement each took 1 ms; a clustering with many segments has thousands of transitions.
func (s *Store) insertRows(ctx context.Context, table, tuple string, rows [][]any) error {
	for len(rows) > 0 {
		batch := rows[:min(len(rows), insertBatch)]
		rows = rows[len(batch):]
		tuples := make([]string, len(batch))
		var args []any
		for i, r := range batch {
			tuples[i] = tuple
			args = append(args, r...)
		}
		if err := s.db.Exec(ctx, "INSERT INTO "+table+" VALUES "+strings.Join(tuples, ", "), args...); err != nil {
			return err
		}
	}
	return nil
}

const insertBatch = 500

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
	rolled, err = s.queryRuns(ctx, "SELECT "+runColumns+" FROM segrun_store.runs WHERE status = ? AND run_id > ? ORDER BY run_id DESC",
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

// DropStaging removes the workspace table or view Diff created.
func (s *Store) DropStaging(ctx context.Context, segmentation string) error {
	kind, ok := s.staged[segmentation]
	if !ok {
		return nil
	}
	delete(s.staged, segmentation)
	return s.db.Exec(ctx, "DROP "+kind+" IF EXISTS "+diffTable(segmentation))
}

// jsonTexts encodes values for JSON columns. A value that cannot be encoded (a NaN in a metric, say) is an
// error that rolls the run back, never a half-written version.
func jsonTexts(vs ...any) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %T for the store: %w", v, err)
		}
		out[i] = string(b)
	}
	return out, nil
}
