package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/segrun/segrun/algorithms"
)

// Measurements (schema version 7): segrun measure's results, one row per audience version, outcome and
// window, so segrun report shows the lift of each campaign and a later measurement with a longer window
// sits beside the first. This file holds all of it: the table, the migration adding it, the typed result
// and the store's writes and reads of it.

const measurementsDDL = `CREATE TABLE IF NOT EXISTS segrun_store.measurements (
		run_id BIGINT NOT NULL,
		audience VARCHAR NOT NULL,
		outcome VARCHAR NOT NULL,
		window_days INTEGER NOT NULL,
		metric VARCHAR NOT NULL,
		measured_at TIMESTAMP NOT NULL,
		result JSON NOT NULL)`

// A new store gets the table with the rest of the schema.
func init() { storeDDL = append(storeDDL, measurementsDDL) }

// migrate6to7 adds the measurements' table, inside the caller's transaction. Nothing was measured before.
func (s *Store) migrate6to7(ctx context.Context) error { return s.db.Exec(ctx, measurementsDDL) }

// Measurement is one audience version's lift on one outcome: treatment against control, overall and per
// segment of the segmentations the audience includes.
type Measurement struct {
	Run      int64     `json:"run_id"`
	Audience string    `json:"audience"`
	Outcome  string    `json:"outcome"`
	Metric   string    `json:"metric"` // converted or revenue
	AsOf     time.Time `json:"as_of"`
	// The window is [WindowStart, WindowEnd): WindowDays days from the version's as-of date.
	WindowDays  int       `json:"window_days"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// MinLift is the relative lift the groups were asked to be able to detect (0: none).
	MinLift float64 `json:"min_lift"`
	// Events counts the outcome's events in the window, of members and not.
	Events int64 `json:"events"`
	// MembersWithEvents counts the version's members with an event in the window: 0 means nothing was
	// measured (the lifts are left out, a warning says why), not a lift of 0.
	MembersWithEvents int64           `json:"members_with_events"`
	Overall           MeasuredGroup   `json:"overall"`
	Segments          []MeasuredGroup `json:"segments"`
	Warnings          []string        `json:"warnings,omitempty"`
	// Measured is when it was measured (not part of the stored result).
	Measured time.Time `json:"-"`
}

// MeasuredGroup is one comparison: the audience's members overall (Segmentation and Segment empty) or
// those in one segment. Lift is nil when a group has no members (Note says so).
type MeasuredGroup struct {
	Segmentation string               `json:"segmentation,omitempty"`
	Segment      string               `json:"segment,omitempty"`
	Treatment    algorithms.LiftGroup `json:"treatment"`
	Control      algorithms.LiftGroup `json:"control"`
	Lift         *algorithms.Lift     `json:"lift,omitempty"`
	// PValueHolm is a segment's p-value adjusted for the measurement's many segments by Holm's method
	// (algorithms.HolmAdjust), over every segment comparison with a lift; nil overall and without a lift.
	PValueHolm *float64 `json:"p_value_holm,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// SaveMeasurement stores m, replacing an earlier measurement of the same version, outcome and window.
func (s *Store) SaveMeasurement(ctx context.Context, m Measurement) error {
	if s.version != 0 && s.version < 7 {
		return errors.New("this store's schema predates measurements: open it for writing to upgrade it")
	}
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := s.db.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	err = s.db.Exec(ctx, `DELETE FROM segrun_store.measurements WHERE run_id = ? AND audience = ? AND outcome = ? AND window_days = ?`,
		m.Run, m.Audience, m.Outcome, m.WindowDays)
	if err == nil {
		err = s.db.Exec(ctx, `INSERT INTO segrun_store.measurements VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.Run, m.Audience, m.Outcome, m.WindowDays, m.Metric, m.Measured.UTC(), string(doc))
	}
	if err != nil {
		_ = s.db.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	return s.db.Exec(ctx, "COMMIT")
}

// Measurements lists audience's measurements of published versions, latest version first, then by
// outcome and window. A store from before measurements has none.
func (s *Store) Measurements(ctx context.Context, audience string) ([]Measurement, error) {
	if s.version != 0 && s.version < 7 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `SELECT m.result::VARCHAR, m.measured_at FROM segrun_store.measurements m JOIN segrun_store.runs r USING (run_id)
		WHERE r.status = ? AND m.audience = ? ORDER BY m.run_id DESC, m.outcome, m.window_days`, StatusPublished, audience)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Measurement
	for rows.Next() {
		var doc string
		var at time.Time
		if err := rows.Scan(&doc, &at); err != nil {
			return nil, err
		}
		var m Measurement
		if err := json.Unmarshal([]byte(doc), &m); err != nil {
			return nil, err
		}
		m.Measured = at
		out = append(out, m)
	}
	return out, rows.Err()
}
