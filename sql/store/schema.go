package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/segrun/segrun/sql"
)

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
		replaced_by BIGINT,
		warnings JSON)`,
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
		share DOUBLE PRECISION NOT NULL,
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
	kpiValuesDDL,
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
	membershipsAsOfMacro,
	`CREATE OR REPLACE VIEW segrun_store.moves AS
		SELECT coalesce(x.run_id, e.run_id) AS run_id, coalesce(x.segmentation, e.segmentation) AS segmentation,
		       coalesce(x.entity, e.entity) AS entity, x.segment AS from_segment, e.segment AS to_segment
		FROM (SELECT * FROM changes WHERE event = 'exited') x
		FULL JOIN (SELECT * FROM changes WHERE event = 'entered') e
		  ON x.run_id = e.run_id AND x.segmentation = e.segmentation AND x.entity = e.entity`,
	kpiComparisonView,
}

// membershipsAsOfMacro is DuckDB's memberships_as_of; on PostgreSQL it is a function (dialect.membershipsAsOf).
const membershipsAsOfMacro = `CREATE OR REPLACE MACRO segrun_store.memberships_as_of(run) AS TABLE
		SELECT entity, segmentation, segment FROM memberships
		WHERE valid_from_run <= run AND (valid_to_run IS NULL OR valid_to_run > run)`

// MembershipsAsOf is a subquery of the memberships (entity, segmentation, segment) at version run, for
// segrun's own statements in the workspace, where the store's memberships_as_of macro would bind its
// tables in the workspace's catalog.
func MembershipsAsOf(run int64) string {
	return fmt.Sprintf(`(SELECT entity, segmentation, segment FROM %s.memberships
		WHERE valid_from_run <= %d AND (valid_to_run IS NULL OR valid_to_run > %d))`, Catalog, run, run)
}

// MembershipsAsOf is the package's MembershipsAsOf naming this store's tables where they are: the
// catalog segrun_store on DuckDB, the store's schema on PostgreSQL.
func (s *Store) MembershipsAsOf(run int64) string { return s.d.rewrite(MembershipsAsOf(run)) }

// Table is how a statement outside the store (the runner's, in the workspace) names one of the store's
// tables or views: segrun_store.changes on DuckDB, "schema".changes on PostgreSQL.
func (s *Store) Table(name string) string { return s.d.qualifier() + "." + sql.Ident(name) }

// createMembershipViews creates (or replaces) the views and macro over the intervals, whose type is
// entityType, with the store as the default catalog (schema) while they are bound, and the workspace's
// back after.
func (s *Store) createMembershipViews(ctx context.Context, withTables bool, entityType string) error {
	stmts := membershipViews
	if withTables {
		stmts = entityDDL
	}
	return s.d.withStoreDefault(ctx, s.db, func() error {
		for _, q := range stmts {
			if q == membershipsAsOfMacro {
				q = s.d.membershipsAsOf()
			}
			if err := s.db.Exec(ctx, strings.ReplaceAll(q, "ENTITY_TYPE", entityType)); err != nil {
				return err
			}
		}
		return nil
	})
}
