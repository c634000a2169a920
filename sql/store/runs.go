package store

import (
	"context"
	"time"
)

// Run is one row of the run history.
type Run struct {
	ID            int64     `json:"run_id"`
	Pipeline      string    `json:"pipeline"`
	Status        string    `json:"status"`
	AsOf          time.Time `json:"as_of"`
	Key           string    `json:"run_key,omitempty"`
	SpecHash      string    `json:"spec_hash"`
	SegrunVersion string    `json:"segrun_version"`
	Vars          string    `json:"vars"`
	Sources       string    `json:"sources"`
	Steps         string    `json:"steps"`
	StartedAt     time.Time `json:"started_at"`
	PublishedAt   time.Time `json:"published_at"`
	ReplacedBy    *int64    `json:"replaced_by,omitempty"`
	// Warnings are what the run warned about and went on (a data test of severity warn); "[]" when none.
	Warnings string `json:"warnings"`
}

// Run statuses.
const (
	StatusPublished = "published"
	StatusReplaced  = "replaced"
	// StatusRolledBack is a version taken back by segrun rollback.
	StatusRolledBack = "rolled back"
)

// runColumns are the run history's columns in Run's order; a store opened read-only at schema version 3 or
// earlier has no warnings column, and its runs read as having none.
func (s *Store) runColumns() string {
	warnings := "coalesce(warnings::VARCHAR, '[]')"
	if s.version < 4 {
		warnings = "'[]'"
	}
	return `run_id, pipeline, status, as_of, coalesce(run_key, ''), spec_hash, segrun_version,
	coalesce(vars::VARCHAR, '{}'), coalesce(sources::VARCHAR, '[]'), coalesce(steps::VARCHAR, '[]'), started_at, published_at,
	replaced_by, ` + warnings
}

// Runs lists the run history, oldest first.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	return s.queryRuns(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs ORDER BY run_id")
}

// LatestRun is the latest published version, or nil.
func (s *Store) LatestRun(ctx context.Context) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs WHERE status = ? ORDER BY run_id DESC LIMIT 1", StatusPublished)
}

// RunByID returns a run by id, or nil.
func (s *Store) RunByID(ctx context.Context, id int64) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs WHERE run_id = ?", id)
}

// RunByKey returns the published run with a run key, or nil.
func (s *Store) RunByKey(ctx context.Context, key string) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs WHERE run_key = ? AND status = ?", key, StatusPublished)
}

// PublishedBefore is the latest published run before run id, or nil: the version a replacement of id
// compares against.
func (s *Store) PublishedBefore(ctx context.Context, id int64) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+s.runColumns()+" FROM segrun_store.runs WHERE status = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1", StatusPublished, id)
}

func (s *Store) oneRun(ctx context.Context, q string, args ...any) (*Run, error) {
	runs, err := s.queryRuns(ctx, q, args...)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return &runs[0], nil
}

func (s *Store) queryRuns(ctx context.Context, q string, args ...any) ([]Run, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		if err := rows.Scan(&r.ID, &r.Pipeline, &r.Status, &r.AsOf, &r.Key, &r.SpecHash, &r.SegrunVersion, &r.Vars,
			&r.Sources, &r.Steps, &r.StartedAt, &r.PublishedAt, &r.ReplacedBy, &r.Warnings); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NextRunID is the id the next version gets.
func (s *Store) NextRunID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRow(ctx, "SELECT coalesce(max(run_id), 0) + 1 FROM segrun_store.runs").Scan(&id)
	return id, err
}

// EntityColumn is the pipeline's entity column and its type, as recorded by the first run.
func (s *Store) EntityColumn(ctx context.Context) (name, typ string, err error) {
	if name, err = s.Meta(ctx, "entity"); err != nil {
		return "", "", err
	}
	typ, err = s.Meta(ctx, "entity_type")
	if name == "" {
		name = "entity"
	}
	if typ == "" {
		typ = "VARCHAR"
	}
	return name, typ, err
}
