package store

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/segrun/segrun/sql"
)

// Segmentations lists the segmentations a version published.
func (s *Store) Segmentations(ctx context.Context, run int64) ([]string, error) {
	return s.texts(ctx, "SELECT segmentation FROM segrun_store.segmentation_versions WHERE run_id = ? ORDER BY segmentation", run)
}

// texts runs a query of one text column and returns its values in order.
func (s *Store) texts(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ExportQuery is the query reading a version's memberships, or its change log, with the entity column
// restored to its name and type.
func (s *Store) ExportQuery(ctx context.Context, segmentation string, run int64, changes bool, entity, entityType string) (string, error) {
	segs, err := s.Segmentations(ctx, run)
	if err != nil {
		return "", err
	}
	found := false
	for _, n := range segs {
		found = found || n == segmentation
	}
	if !found {
		return "", fmt.Errorf("version %d has no segmentation %q (it has %v)", run, segmentation, segs)
	}
	if s.d.postgres() {
		// The query runs in DuckDB, on the rows pulled from PostgreSQL (postgres_export.go).
		if err := s.pullForExport(ctx, segmentation, run, changes, entityType); err != nil {
			return "", err
		}
	}
	ent := fmt.Sprintf("entity AS %s", sql.Ident(entity))
	if changes {
		return fmt.Sprintf(`SELECT %s, segment, event FROM segrun_store.changes WHERE run_id = %d AND segmentation = %s ORDER BY 1, event DESC, segment`,
			ent, run, sql.Literal(segmentation)), nil
	}
	return fmt.Sprintf(`SELECT %s, segment FROM %s WHERE segmentation = %s ORDER BY 1, segment`,
		ent, MembershipsAsOf(run), sql.Literal(segmentation)), nil
}

// CopyTo writes a query's result to a file with DuckDB's COPY, in format csv, parquet or json (lines).
func (s *Store) CopyTo(ctx context.Context, query, path, format string) error {
	db := s.db
	if s.d.postgres() {
		if s.local == nil {
			return fmt.Errorf("store %s: CopyTo writes an ExportQuery's rows, and none was asked for", s.Path)
		}
		db = workspaceConn{s.local}
	}
	return db.Exec(ctx, copyStatement(query, path, format))
}

// copyStatement is DuckDB's COPY writing query's rows to path in format (csv with a header).
func copyStatement(query, path, format string) string {
	opts := "FORMAT " + format
	if format == "csv" {
		opts += ", HEADER"
	}
	return fmt.Sprintf("COPY (%s) TO %s (%s)", query, sql.Literal(path), opts)
}

// SegmentStats returns a version's segment sizes and movements, largest first.
func (s *Store) SegmentStats(ctx context.Context, run int64, segmentation string) ([]SegmentStat, error) {
	rows, err := s.db.Query(ctx, `SELECT segment, size, share, entered, exited, stayed, coalesce(description, '')
		FROM segrun_store.segments WHERE run_id = ? AND segmentation = ? ORDER BY size DESC, segment`, run, segmentation)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SegmentStat
	for rows.Next() {
		var st SegmentStat
		if err := rows.Scan(&st.Segment, &st.Size, &st.Share, &st.Entered, &st.Exited, &st.Stayed, &st.Description); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Transitions returns a version's transition matrix against the version before it, as (from, to, count).
func (s *Store) Transitions(ctx context.Context, run int64, segmentation string) ([]Transition, error) {
	return s.queryTransitions(ctx, `SELECT coalesce(from_segment, ''), coalesce(to_segment, ''), entities
		FROM segrun_store.transitions WHERE run_id = ? AND segmentation = ? ORDER BY 1, 2`, run, segmentation)
}

// VersionInfo is a segmentation version's record.
type VersionInfo struct {
	Method   string  `json:"method"`
	Entities int64   `json:"entities"`
	Assigned int64   `json:"assigned"`
	Summary  Summary `json:"-"`
	Model    Model   `json:"-"`
}

// Version returns a segmentation's version record in a run, or nil.
func (s *Store) Version(ctx context.Context, run int64, segmentation string) (*VersionInfo, error) {
	var v VersionInfo
	var summary, model string
	err := s.db.QueryRow(ctx, `SELECT method, entities, assigned, coalesce(summary::VARCHAR, 'null'), coalesce(model::VARCHAR, 'null')
		FROM segrun_store.segmentation_versions WHERE run_id = ? AND segmentation = ?`, run, segmentation).
		Scan(&v.Method, &v.Entities, &v.Assigned, &summary, &model)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil, nil
	}
	v.Summary.raw, v.Model.raw = json.RawMessage(summary), json.RawMessage(model)
	return &v, err
}

// RecordExport notes that version run's export of segmentation (its change log when changes) was written
