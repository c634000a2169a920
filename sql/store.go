package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StoreCatalog is the name the store is attached under in a run's workspace.
const StoreCatalog = "segrun_store"

// StoreSchemaVersion is the version of the store's tables; a store written by a newer segrun is refused
// rather than misread. Older stores are upgraded when they are next written, and read as they are until
// then. Version 1 kept memberships as text (its memberships table has the columns version 2's view has).
// Version 2's views named the catalog segrun_store, so they failed in a DuckDB client that opened the file
// (its catalog is named after the file); version 3's do not, and it records the exports each version wrote.
const StoreSchemaVersion = 3

// Store is the versioned store: a DuckDB file holding every published version of a pipeline's
// segmentations. It is attached to a workspace database, so a run computes in the workspace and publishes
// with one transaction that writes only the store.
//
// Memberships are validity intervals (valid_from_run, valid_to_run): a membership is a row from the run
// that started it until the run that ended it (NULL while current), so storage grows with changes, not
// with runs.
type Store struct {
	db   *DB
	Path string
	// staged says, per segmentation, whether Diff staged its changes as a TABLE or a VIEW.
	staged map[string]string
}

// storeDDL creates the store's tables, views and macros. Every statement is idempotent.
var storeDDL = []string{
	`CREATE TABLE IF NOT EXISTS segrun_store.segrun_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS segrun_store.runs (
		run_id BIGINT PRIMARY KEY,
		pipeline VARCHAR NOT NULL,
		status VARCHAR NOT NULL,
		as_of DATE NOT NULL,
		run_key VARCHAR,
		spec_hash VARCHAR NOT NULL,
		segrun_version VARCHAR NOT NULL,
		vars JSON,
		sources JSON,
		steps JSON,
		started_at TIMESTAMP NOT NULL,
		published_at TIMESTAMP NOT NULL,
		replaced_by BIGINT)`,
	`CREATE TABLE IF NOT EXISTS segrun_store.segmentation_versions (
		run_id BIGINT NOT NULL,
		segmentation VARCHAR NOT NULL,
		method VARCHAR NOT NULL,
		entities BIGINT NOT NULL,
		assigned BIGINT NOT NULL,
		summary JSON,
		model JSON)`,
	`CREATE TABLE IF NOT EXISTS segrun_store.segments (
		run_id BIGINT NOT NULL,
		segmentation VARCHAR NOT NULL,
		segment VARCHAR NOT NULL,
		size BIGINT NOT NULL,
		share DOUBLE NOT NULL,
		entered BIGINT NOT NULL,
		exited BIGINT NOT NULL,
		stayed BIGINT NOT NULL,
		description VARCHAR)`,
	`CREATE TABLE IF NOT EXISTS segrun_store.transitions (
		run_id BIGINT NOT NULL,
		segmentation VARCHAR NOT NULL,
		from_segment VARCHAR,
		to_segment VARCHAR,
		entities BIGINT NOT NULL)`,
	// The exports each version wrote, so that a retry of a run whose exports failed writes what is missing.
	`CREATE TABLE IF NOT EXISTS segrun_store.exports (
		run_id BIGINT NOT NULL,
		segmentation VARCHAR NOT NULL,
		changes BOOLEAN NOT NULL,
		path VARCHAR NOT NULL,
		written_at TIMESTAMP NOT NULL)`,
}

// entityDDL creates the tables keyed by entity, in the entity column's own type (a BIGINT customer id is
// stored as BIGINT: joins on it are cheaper and the log smaller than text), with the views over them. They
// are created by the first version, when the type is known.
//
// The intervals hold each segment as a code (segment_codes names them) and the memberships view gives
// them their names: inserting a first version's million memberships with the two names as VARCHAR took
// 0.20 s, 0.07 s with a code, as DuckDB stores, compresses and keeps statistics on text.
var entityDDL = append([]string{segmentCodesDDL, intervalsDDL}, membershipViews...)

// The coded tables: segment_codes names each code, membership_intervals holds the intervals.
const (
	segmentCodesDDL = `CREATE TABLE IF NOT EXISTS segrun_store.segment_codes (
		code INTEGER PRIMARY KEY,
		segmentation VARCHAR NOT NULL,
		segment VARCHAR NOT NULL,
		UNIQUE (segmentation, segment))`
	intervalsDDL = `CREATE TABLE IF NOT EXISTS segrun_store.membership_intervals (
		entity ENTITY_TYPE NOT NULL,
		code INTEGER NOT NULL,
		valid_from_run BIGINT NOT NULL,
		valid_to_run BIGINT)`
)

// membershipViews are the views and macro over the intervals, memberships first: the others read it.
// Their bodies name the store's tables without a catalog, so they work in any DuckDB client that opens the
// file (where its catalog is named after the file, not segrun_store): DuckDB binds a view's tables in the
// view's own catalog. A macro is bound in its caller's catalog instead, so memberships_as_of works where
// the store is the default database (duckdb segrun.duckdb, or after USE); segrun itself reads
// MembershipsAsOf. createMembershipViews creates them with the store as the default catalog.
var membershipViews = []string{
	`CREATE OR REPLACE VIEW segrun_store.memberships AS
		SELECT i.entity, c.segmentation, c.segment, i.valid_from_run, i.valid_to_run
		FROM membership_intervals i JOIN segment_codes c USING (code)`,
	// The change log is derived from the intervals, not stored twice: an entity entered a segment in the
	// run that opened its interval and exited in the run that closed it. Rows are appended in run order, so
	// DuckDB's zone maps skip most of the table when a query filters on one run.
	`CREATE OR REPLACE VIEW segrun_store.changes AS
		SELECT valid_from_run AS run_id, segmentation, entity, segment, 'entered' AS event FROM memberships
		UNION ALL
		SELECT valid_to_run AS run_id, segmentation, entity, segment, 'exited' AS event FROM memberships
		WHERE valid_to_run IS NOT NULL`,
	`CREATE OR REPLACE VIEW segrun_store.current_memberships AS
		SELECT entity, segmentation, segment, valid_from_run AS since_run
		FROM memberships WHERE valid_to_run IS NULL`,
	`CREATE OR REPLACE MACRO segrun_store.memberships_as_of(run) AS TABLE
		SELECT entity, segmentation, segment FROM memberships
		WHERE valid_from_run <= run AND (valid_to_run IS NULL OR valid_to_run > run)`,
	`CREATE OR REPLACE VIEW segrun_store.moves AS
		SELECT coalesce(x.run_id, e.run_id) AS run_id, coalesce(x.segmentation, e.segmentation) AS segmentation,
		       coalesce(x.entity, e.entity) AS entity, x.segment AS from_segment, e.segment AS to_segment
		FROM (SELECT * FROM changes WHERE event = 'exited') x
		FULL JOIN (SELECT * FROM changes WHERE event = 'entered') e
		  ON x.run_id = e.run_id AND x.segmentation = e.segmentation AND x.entity = e.entity`,
}

// MembershipsAsOf is a subquery of the memberships (entity, segmentation, segment) at version run, for
// segrun's own statements in the workspace, where the store's memberships_as_of macro would bind its
// tables in the workspace's catalog.
func MembershipsAsOf(run int64) string {
	return fmt.Sprintf(`(SELECT entity, segmentation, segment FROM %s.memberships
		WHERE valid_from_run <= %d AND (valid_to_run IS NULL OR valid_to_run > %d))`, StoreCatalog, run, run)
}

// createMembershipViews creates (or replaces) the views and macro over the intervals, whose type is
// entityType, with the store as the default catalog while they are bound, and the workspace's back after.
func (s *Store) createMembershipViews(ctx context.Context, withTables bool, entityType string) (err error) {
	var workspace string
	if err := s.db.QueryRow(ctx, "SELECT current_database()").Scan(&workspace); err != nil {
		return err
	}
	if err := s.db.Exec(ctx, "USE "+StoreCatalog); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.db.Exec(context.WithoutCancel(ctx), "USE "+Ident(workspace))) }()
	stmts := membershipViews
	if withTables {
		stmts = entityDDL
	}
	for _, q := range stmts {
		if err := s.db.Exec(ctx, strings.ReplaceAll(q, "ENTITY_TYPE", entityType)); err != nil {
			return err
		}
	}
	return nil
}

// StoreMode says how a store is opened.
type StoreMode int

const (
	// ReadWrite opens (creating if missing) for a run that publishes.
	ReadWrite StoreMode = iota
	// ReadOnly opens an existing store to read its history.
	ReadOnly
)

// ErrNoStore is returned when a store to read does not exist.
var ErrNoStore = errors.New("no store")

// AttachStore attaches the store file at path to db. If another process holds it, AttachStore waits up to
// wait for it to be released, then fails with ErrLocked naming the store.
func AttachStore(ctx context.Context, db *DB, path string, mode StoreMode, wait time.Duration) (*Store, error) {
	if mode == ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("%w at %s (run a pipeline first, or pass --store)", ErrNoStore, path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	q := "ATTACH " + Literal(path) + " AS " + StoreCatalog
	if mode == ReadOnly {
		q += " (READ_ONLY)"
	}
	deadline := time.Now().Add(wait)
	for {
		err := db.Exec(ctx, q)
		if err == nil {
			break
		}
		if !isLockError(err) {
			return nil, fmt.Errorf("opening store %s: %v", path, firstLine(err.Error()))
		}
		if time.Now().After(deadline) {
			msg := lockHolder(err)
			if wait > 0 {
				msg += fmt.Sprintf(" (waited %s)", wait)
			} else {
				msg += "; pass --wait 10m to wait for it"
			}
			return nil, fmt.Errorf("store %s: %w: %s", path, ErrLocked, msg)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	s := &Store{db: db, Path: path}
	if mode == ReadWrite {
		if err := s.migrate(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.checkVersion(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	for _, q := range storeDDL {
		if err := s.db.Exec(ctx, q); err != nil {
			_ = s.db.Exec(ctx, "ROLLBACK")
			return fmt.Errorf("preparing store %s: %w", s.Path, err)
		}
	}
	// A new store gets the current version; an older one is upgraded; a newer one is left for checkVersion
	// to refuse.
	v, err := s.Meta(ctx, "schema_version")
	if err == nil && v == "1" {
		err = s.upgradeFrom1(ctx)
	}
	if err == nil && (v == "1" || v == "2") {
		err = s.upgradeViews(ctx)
	}
	if err == nil && (v == "" || v == "1" || v == "2") {
		err = s.SetMeta(ctx, "schema_version", fmt.Sprint(StoreSchemaVersion))
	}
	if err != nil {
		_ = s.db.Exec(ctx, "ROLLBACK")
		return fmt.Errorf("preparing store %s: %w", s.Path, err)
	}
	return s.db.Exec(ctx, "COMMIT")
}

// upgradeViews recreates the views and macro of a store published to before version 3, whose bodies named
// the segrun_store catalog, inside the caller's transaction.
func (s *Store) upgradeViews(ctx context.Context) error {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = ? AND schema_name = 'main' AND table_name = 'membership_intervals'`, StoreCatalog).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil // no version was published yet: the first one creates the views
	}
	if err := s.createMembershipViews(ctx, false, ""); err != nil {
		return fmt.Errorf("upgrading the views: %w", err)
	}
	return nil
}

// upgradeFrom1 rewrites a version 1 store's memberships, a table of intervals with the segmentation and
// segment as text, as version 2's coded intervals under a memberships view with the same columns, inside
// the caller's transaction: the store is upgraded whole or not at all.
func (s *Store) upgradeFrom1(ctx context.Context) error {
	var typ string
	err := s.db.QueryRow(ctx, `SELECT data_type FROM duckdb_columns()
		WHERE database_name = ? AND schema_name = 'main' AND table_name = 'memberships' AND column_name = 'entity'`, StoreCatalog).Scan(&typ)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil // no version was published yet: the first one creates version 2's tables
	} else if err != nil {
		return err
	}
	stmts := []string{segmentCodesDDL, intervalsDDL,
		`INSERT INTO segrun_store.segment_codes
			SELECT row_number() OVER (ORDER BY segmentation, segment)::INTEGER, segmentation, segment
			FROM (SELECT DISTINCT segmentation, segment FROM segrun_store.memberships)`,
		// In run order, as publishing appends them: zone maps then skip most of the table for one run.
		`INSERT INTO segrun_store.membership_intervals
			SELECT m.entity, c.code, m.valid_from_run, m.valid_to_run
			FROM segrun_store.memberships m JOIN segrun_store.segment_codes c USING (segmentation, segment)
			ORDER BY m.valid_from_run, c.code, m.entity`,
		`DROP TABLE segrun_store.memberships`,
	}
	for _, q := range stmts {
		if err := s.db.Exec(ctx, strings.ReplaceAll(q, "ENTITY_TYPE", typ)); err != nil {
			return fmt.Errorf("upgrading from schema version 1: %w", err)
		}
	}
	return nil
}

func (s *Store) checkVersion(ctx context.Context) error {
	v, err := s.Meta(ctx, "schema_version")
	if err != nil {
		return fmt.Errorf("store %s is not a segrun store: %w", s.Path, err)
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > StoreSchemaVersion {
		return fmt.Errorf("store %s has schema version %s; this segrun reads versions 1 to %d", s.Path, v, StoreSchemaVersion)
	}
	return nil
}

// Meta reads a store setting; "" when unset.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRow(ctx, "SELECT value FROM segrun_store.segrun_meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, stdsql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta writes a store setting (inside the publishing transaction).
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.db.Exec(ctx, `INSERT INTO segrun_store.segrun_meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
}

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
}

// Run statuses.
const (
	StatusPublished = "published"
	StatusReplaced  = "replaced"
	// StatusRolledBack is a version taken back by segrun rollback.
	StatusRolledBack = "rolled back"
)

const runColumns = `run_id, pipeline, status, as_of, coalesce(run_key, ''), spec_hash, segrun_version,
	coalesce(vars::VARCHAR, '{}'), coalesce(sources::VARCHAR, '[]'), coalesce(steps::VARCHAR, '[]'), started_at, published_at, replaced_by`

// Runs lists the run history, oldest first.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	return s.queryRuns(ctx, "SELECT "+runColumns+" FROM segrun_store.runs ORDER BY run_id")
}

// LatestRun is the latest published version, or nil.
func (s *Store) LatestRun(ctx context.Context) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+runColumns+" FROM segrun_store.runs WHERE status = ? ORDER BY run_id DESC LIMIT 1", StatusPublished)
}

// RunByID returns a run by id, or nil.
func (s *Store) RunByID(ctx context.Context, id int64) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+runColumns+" FROM segrun_store.runs WHERE run_id = ?", id)
}

// RunByKey returns the published run with a run key, or nil.
func (s *Store) RunByKey(ctx context.Context, key string) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+runColumns+" FROM segrun_store.runs WHERE run_key = ? AND status = ?", key, StatusPublished)
}

// PublishedBefore is the latest published run before run id, or nil: the version a replacement of id
// compares against.
func (s *Store) PublishedBefore(ctx context.Context, id int64) (*Run, error) {
	return s.oneRun(ctx, "SELECT "+runColumns+" FROM segrun_store.runs WHERE status = ? AND run_id < ? ORDER BY run_id DESC LIMIT 1", StatusPublished, id)
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
			&r.Sources, &r.Steps, &r.StartedAt, &r.PublishedAt, &r.ReplacedBy); err != nil {
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

// Segmentations lists the segmentations a version published.
func (s *Store) Segmentations(ctx context.Context, run int64) ([]string, error) {
	rows, err := s.db.Query(ctx, "SELECT segmentation FROM segrun_store.segmentation_versions WHERE run_id = ? ORDER BY segmentation", run)
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
	ent := fmt.Sprintf("entity AS %s", Ident(entity))
	if changes {
		return fmt.Sprintf(`SELECT %s, segment, event FROM segrun_store.changes WHERE run_id = %d AND segmentation = %s ORDER BY 1, event DESC, segment`,
			ent, run, Literal(segmentation)), nil
	}
	return fmt.Sprintf(`SELECT %s, segment FROM %s WHERE segmentation = %s ORDER BY 1, segment`,
		ent, MembershipsAsOf(run), Literal(segmentation)), nil
}

// CopyTo writes a query's result to a file with DuckDB's COPY, in format csv, parquet or json (lines).
func (s *Store) CopyTo(ctx context.Context, query, path, format string) error {
	opts := "FORMAT " + format
	if format == "csv" {
		opts += ", HEADER"
	}
	return s.db.Exec(ctx, fmt.Sprintf("COPY (%s) TO %s (%s)", query, Literal(path), opts))
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
	Method   string `json:"method"`
	Entities int64  `json:"entities"`
	Assigned int64  `json:"assigned"`
	Summary  string `json:"-"`
	Model    string `json:"-"`
}

// Version returns a segmentation's version record in a run, or nil.
func (s *Store) Version(ctx context.Context, run int64, segmentation string) (*VersionInfo, error) {
	var v VersionInfo
	err := s.db.QueryRow(ctx, `SELECT method, entities, assigned, coalesce(summary::VARCHAR, 'null'), coalesce(model::VARCHAR, 'null')
		FROM segrun_store.segmentation_versions WHERE run_id = ? AND segmentation = ?`, run, segmentation).
		Scan(&v.Method, &v.Entities, &v.Assigned, &v.Summary, &v.Model)
	if errors.Is(err, stdsql.ErrNoRows) {
		return nil, nil
	}
	return &v, err
}

// RecordExport notes that version run's export of segmentation (its change log when changes) was written
// to path, after the file is in place: a retry of the run then knows it need not write it again.
func (s *Store) RecordExport(ctx context.Context, run int64, segmentation string, changes bool, path string) error {
	if err := s.db.Exec(ctx, "DELETE FROM segrun_store.exports WHERE run_id = ? AND path = ?", run, path); err != nil {
		return err
	}
	return s.db.Exec(ctx, "INSERT INTO segrun_store.exports VALUES (?, ?, ?, ?, ?)", run, segmentation, changes, path, time.Now().UTC())
}

// ExportWritten says whether the file at path holds version run's export of segmentation (its change log
// when changes): the latest export recorded to path is that one. A later version's export to the same path
// (since rolled back, say) means the file holds something else.
func (s *Store) ExportWritten(ctx context.Context, run int64, segmentation string, changes bool, path string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT * FROM segrun_store.exports WHERE path = ? ORDER BY written_at DESC, run_id DESC LIMIT 1)
		WHERE run_id = ? AND segmentation = ? AND changes = ?`, path, run, segmentation, changes).Scan(&n)
	return n > 0, err
}
