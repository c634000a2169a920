package runner

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// OutcomeComputed is a run on engine postgres that published nothing: its steps were computed (and their
// data tests run) in the run's schema, which is dropped at the end, and its store is not a PostgreSQL
// schema (store: postgres:SCHEMA publishes there), or it was a dry run.
const OutcomeComputed = "computed"

// executePostgres runs a pipeline of table sources and features on engine postgres: each source becomes
// a view of its table in the run's schema (checked: not empty unless allow_empty, no NULL in a not_null
// column), each feature an UNLOGGED table made by its SQL inside the server, with its data tests, in
// the plan's order, then each segmentation inside the server by its method's engine form
// (methods.EngineRunner: rules and RFM as SQL, a clustering fitted on a pulled sample and assigned in SQL,
// clv summarised in SQL, fitted and predicted in Go, its predictions pushed back with binary COPY).
// KPIs, segment profiles and audits are computed in the server (kpi.go, profile_postgres.go,
// audit_drift_postgres.go), models are trained on rows pulled with binary COPY and scored in the server as
// SQL (model_postgres.go), audiences are computed in the server (audience_sql.go), and after publishing the
// spec's exports and the audiences' destinations are written (destination_postgres.go). Nothing leaves the
// server but counts, rule statistics, test samples, a clustering's and a model's training sample, a clv
// segmentation's summaries, the few rows per segment of KPIs, profiles and audit bins, and the rows of the
// files and destinations (docs/engines.md says each, with its size).
func executePostgres(ctx context.Context, v *Validation, o RunOptions, res *Result, start time.Time) (_ *Result, err error) {
	defer func() { err = postgresFailure(err) }()
	s := v.Spec
	var unwired []string
	for _, st := range v.Plan.Steps {
		switch st.Kind {
		case KindSource, KindFeature, KindSegmentation, KindModel, KindAudience, KindExport:
		case KindKPI: // computed in the server (kpi.go), as are segmentations' profiles and audits
		default:
			unwired = append(unwired, st.Kind+" "+st.Name)
		}
	}
	if len(unwired) > 0 {
		return res, fmt.Errorf("engine postgres runs sources, features and segmentations only so far; this spec also has %s (run it on DuckDB, or validate it with segrun validate)", strings.Join(unwired, ", "))
	}
	// Unique among concurrent runs (two in one second of one process too): time, process, nanoseconds.
	now := time.Now().UTC()
	runID := now.Format("20060102t150405") + "_" + strconv.Itoa(os.Getpid()) + "_" + strconv.Itoa(now.Nanosecond())
	db, err := postgres.OpenEnv(ctx, s.PostgresDSNEnv(), runID)
	if err != nil {
		return res, err
	}
	defer func() { err = closeRun(db, res, err) }()
	defer func() { res.Engine = postgresEngineReport(db.Traffic(), res.Seconds, start) }()
	db.SetLogger(o.Log)
	e := newExecution(v, o, db, res)
	schema, publishes := store.PostgresSchema(res.Store)
	publishes = publishes && len(s.Segmentations) > 0 && !o.DryRun
	if publishes {
		// The store's own connection, in the engine's database: it publishes in one transaction of its
		// own, reading the versions' tables from the run's schema.
		st, err := store.OpenPostgres(ctx, os.Getenv(s.PostgresDSNEnv()), schema, store.ReadWrite, o.Wait, db.StoreConnection)
		if err != nil {
			return res, err
		}
		defer st.Close()
		e.store = st
		if err := e.checkStoreMeta(ctx); err != nil {
			return res, err
		}
		if done, err := e.decideVersion(ctx); done || err != nil {
			if err == nil {
				err = e.completePublished(ctx)
			}
			res.Seconds = time.Since(start).Seconds()
			return res, err
		}
	}
	if err := e.execute(ctx); err != nil {
		return res, err
	}
	if publishes {
		if err := e.store.UseWorkspaceSchema(ctx, db.Schema()); err != nil {
			return res, environmentError(err)
		}
		if err := e.publish(ctx); err != nil {
			if err = e.lostCommit(ctx, schema, err); err != nil {
				return res, err
			}
		}
		// The spec's exports and the audiences' destinations, as on DuckDB (destination_postgres.go says
		// what crosses for them).
		e.planDeliveries()
		if o.Hooks.BeforeExports != nil {
			o.Hooks.BeforeExports()
		}
		err := e.deliver(ctx, res.RunID, e.exports(ctx, res.RunID, s.Exports))
		res.Seconds = time.Since(start).Seconds()
		return res, err
	}
	// min_size and audits hold for computed versions too: their sizes are the engine's counts, and each
	// is audited as a first version (nothing to compare with).
	diffs := make([]*store.Diff, len(e.segVersions))
	for i := range e.segVersions {
		diffs[i] = e.res.Segmentations[i].Diff
	}
	if err := e.auditVersions(ctx, diffs); err != nil {
		return res, err
	}
	e.sortKPIs()
	e.res.KPIs = e.kpis
	for i, v := range e.segVersions {
		small, err := e.checkMinSize(v, e.res.Segmentations[i].Diff)
		if err != nil {
			return res, err
		}
		for _, w := range small {
			e.warn("segmentation %s: %s", v.Segmentation, w)
			e.res.Segmentations[i].Notes = append(e.res.Segmentations[i].Notes, "min_size: "+w)
		}
	}
	res.Outcome = OutcomeComputed
	why := "give the spec store: postgres:SCHEMA (or --store postgres:SCHEMA) to publish into a schema of this database"
	switch {
	case len(s.Segmentations) == 0:
		why = "the spec has no segmentation"
	case o.DryRun:
		why = "a dry run"
	}
	res.Message = fmt.Sprintf("computed %d steps on engine postgres in schema %s (dropped at the end); nothing was published: %s", len(res.Steps), db.Schema(), why)
	res.Store = ""
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// sourceCountSQL is a scalar expression counting the source's rows. Over a partitioned table it adds up
// each leaf partition's count(*): postgres_fdw ships a foreign partition's count(*) whole to its shard
// (one number crosses), where a count(*) over the partitioned table is a partial aggregate per partition,
// which it cannot ship, and fetched a row per row from every shard. Any other table (or a view) is
// counted through the source's view, and so is a partitioned table with a partition the role may not read
// by itself (reading the parent checks only the parent's privileges).
func (e *execution) sourceCountSQL(ctx context.Context, table, view string) (string, error) {
	q := `SELECT format('%I.%I', n.nspname, c.relname), has_table_privilege(c.oid, 'SELECT') FROM pg_partition_tree(CAST($1 AS regclass)) t
		JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf ORDER BY 1`
	rows, err := e.db.Query(ctx, q, table)
	if err != nil {
		return "", postgres.MapError(err, q)
	}
	defer rows.Close()
	var leaves []string
	readable := true
	for rows.Next() {
		var leaf string
		var canRead bool
		if err := rows.Scan(&leaf, &canRead); err != nil {
			return "", err
		}
		readable = readable && canRead
		leaves = append(leaves, "(SELECT count(*) FROM "+leaf+")")
	}
	if err := rows.Err(); err != nil {
		return "", postgres.MapError(err, q)
	}
	if len(leaves) == 0 || !readable {
		return "(SELECT count(*) FROM " + view + ")", nil
	}
	return "(" + strings.Join(leaves, " + ") + ")", nil
}

// loadTableSource makes a table source readable by its name in the run's schema, as a view of the table
// (the rows stay where they are, so filters and aggregates over it still reach the table, and its shards),
// and checks what the contract promises that validation could not: rows exist (unless allow_empty), and
// not_null columns hold no NULL. The checks are EXISTS subqueries, which stop at the first row found and
// which postgres_fdw ships to each shard whole (with a LIMIT 1), so on a sharded table only a boolean per
// shard crosses; the count(*) FILTER of each column they replaced is a partial aggregate per partition,
// which postgres_fdw cannot ship, and pulled every row's checked columns to the coordinator. Only when a
// column has a NULL are its NULLs counted, for the message. The row count the summary reports is a
// count(*) of its own, per leaf partition of a partitioned table (sourceCountSQL).
func (e *execution) loadTableSource(ctx context.Context, name string, src spec.Source) (int64, error) {
	step := "source " + name
	table := qualified(src.Table)
	if err := e.db.Exec(ctx, "CREATE VIEW "+sql.Ident(name)+" AS SELECT * FROM "+table); err != nil {
		return 0, sqlFailure(step, "table "+src.Table+": ", err, "")
	}
	e.views[name] = true
	view := sql.Ident(name)
	var notNull, isNull []string
	for _, c := range src.Columns {
		if c.Value.NotNull {
			notNull = append(notNull, c.Key)
			isNull = append(isNull, sql.Ident(c.Key)+" IS NULL")
		}
	}
	nulls := "false"
	if len(isNull) > 0 {
		nulls = "EXISTS (SELECT 1 FROM " + view + " WHERE " + strings.Join(isNull, " OR ") + ")"
	}
	count, err := e.sourceCountSQL(ctx, table, view)
	if err != nil {
		return 0, sqlFailure(step, "", err, "")
	}
	var rows int64
	var hasNull bool
	q := "SELECT " + count + ", " + nulls
	if err := e.db.QueryRow(ctx, q).Scan(&rows, &hasNull); err != nil {
		return 0, sqlFailure(step, "", postgres.MapError(err, q), q)
	}
	if rows == 0 && !src.AllowEmpty {
		return 0, failf(step, "table %s has no rows (set allow_empty: true if an empty source is normal)", src.Table)
	}
	if !hasNull {
		return rows, nil
	}
	for _, col := range notNull {
		var n int64
		q := "SELECT count(*) FROM " + view + " WHERE " + sql.Ident(col) + " IS NULL"
		if err := e.db.QueryRow(ctx, q).Scan(&n); err != nil {
			return 0, sqlFailure(step, "", postgres.MapError(err, q), q)
		}
		if n > 0 {
			return 0, failf(step, "column %s is declared not_null, but %d rows of table %s have NULL in it", col, n, src.Table)
		}
	}
	return rows, nil
}
