package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/sql"
)

// RunRecord is what a published run records about itself.
type RunRecord struct {
	ID            int64
	Pipeline      string
	AsOf          time.Time
	Key           string
	SpecHash      string
	SegrunVersion string
	Vars          Vars
	Sources       []SourceFingerprint
	Steps         []StepTiming
	// Warnings are what the run warned about and went on.
	Warnings  []string
	StartedAt time.Time
	// KPIs are the values of the spec's KPIs for each segmentation's version.
	KPIs []KPIValue
	// Entity and EntityType describe the entity column, recorded on the first run so exports can restore
	// the type memberships are stored as text.
	Entity, EntityType string
	// Models are the run's fitted models (migrate_5to6_models.go).
	Models []ModelVersion
	// EntityPII is the entity column's kind of personal data ("" when it is not personal), recorded with
	// every version that has memberships (meta key entity_pii), so `segrun export` hashes it as the
	// spec's exports do.
	EntityPII string
}

// PublishOptions are Publish's hooks, for tests.
type PublishOptions struct {
	// BeforeCommit, when set, runs inside Publish's transaction after every write and before COMMIT: the
	// crash tests kill a run there, at its most delicate moment.
	BeforeCommit func()
}

// Publish writes a run and its versions in one transaction: either all of it is in the store afterwards,
// or (on any error, a crash or a kill) none of it. replace, when not 0, is the run the new one supersedes
// (--force with a run key): its intervals and change log are undone first, in the same transaction.
// Diff must have staged every version against the version before replace.
//
// A segmentation the version before had and this one does not (removed from the spec, or renamed) is
// retired: its members exit in this version, as the change log shows. Publish returns the retired ones.
func (s *Store) Publish(ctx context.Context, rec RunRecord, replace int64, versions []Version, diffs []*Diff, o PublishOptions) (retired []Retired, err error) {
	if err := s.db.Exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil && !s.connectionGone() {
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
	// A declaration removed from the spec is removed here too; a store that never had one keeps no key.
	switch {
	case rec.EntityPII != "":
		if err := s.SetMeta(ctx, "entity_pii", rec.EntityPII); err != nil {
			return nil, err
		}
	case rec.EntityType != "":
		if err := s.db.Exec(ctx, "DELETE FROM segrun_store.segrun_meta WHERE key = 'entity_pii'"); err != nil {
			return nil, err
		}
	}
	warnings := rec.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	texts, err := jsonTexts(rec.Vars, rec.Sources, rec.Steps, warnings)
	if err != nil {
		return nil, err
	}
	var key any
	if rec.Key != "" {
		key = rec.Key
	}
	if err := s.db.Exec(ctx, `INSERT INTO segrun_store.runs (run_id, pipeline, status, as_of, run_key, spec_hash,
		segrun_version, vars, sources, steps, started_at, published_at, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rec.ID, rec.Pipeline, StatusPublished, rec.AsOf, key, rec.SpecHash, rec.SegrunVersion, texts[0], texts[1], texts[2], rec.StartedAt,
		time.Now().UTC(), texts[3]); err != nil {
		return nil, err
	}
	for i, v := range versions {
		if err := s.publishVersion(ctx, rec.ID, v, diffs[i]); err != nil {
			return nil, fmt.Errorf("publishing %s: %w", v.Segmentation, err)
		}
	}
	if err := s.publishKPIs(ctx, rec.ID, rec.KPIs); err != nil {
		return nil, fmt.Errorf("publishing KPIs: %w", err)
	}
	if err := s.publishModels(ctx, rec.ID, rec.Models); err != nil {
		return nil, fmt.Errorf("publishing models: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // interrupted: roll back rather than commit half a decision
	}
	if o.BeforeCommit != nil {
		o.BeforeCommit()
	}
	if err := s.db.Exec(ctx, "COMMIT"); err != nil {
		if s.connectionGone() {
			return nil, &CommitUnknownError{Run: rec.ID, StartedAt: rec.StartedAt, Err: err}
		}
		return nil, err
	}
	return retired, nil
}

// Retired is a segmentation a version retired, and how many members it had then.

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
	return s.db.Exec(ctx, `INSERT INTO segrun_store.segmentation_versions VALUES (?, ?, ?, ?, ?, ?, ?)`,
		run, v.Segmentation, v.Method, d.Entities, d.Assigned, string(v.Summary.JSON()), string(v.Model.JSON()))
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
		fmt.Fprintf(&b, " WHEN %s THEN %d", sql.Literal(n), codes[n])
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
