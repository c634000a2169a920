package runner

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// SegmentationReport is what a run tells about one segmentation; ClusterReport and ClusterProfile, a
// clustering's part of it. The method registry (runner/methods) owns them, since methods fill them in.
type (
	SegmentationReport = methods.Report
	ClusterReport      = methods.ClusterReport
	ClusterProfile     = methods.ClusterProfile
	// SegmentProfiles, NumberProfile and TextValue describe every segmentation's segments (profile.go).
	SegmentProfiles = methods.Profiles
	SegmentProfile  = methods.SegmentProfile
	NumberProfile   = methods.NumberProfile
	TextValue       = methods.TextValue
)

// methodLabel is how plans, summaries and the store name seg's method. The plan is drawn before steps
// are typed, so a block no method registered for (refused by typeSegmentation) is named by its key.
func methodLabel(seg spec.Segmentation) string {
	if m, ok := methods.Lookup(seg.Method()); ok {
		return m.Label(seg)
	}
	return seg.Method()
}

func (e *execution) runSegmentation(ctx context.Context, name string) (int64, error) {
	seg, _ := e.s.Segmentations.Get(name)
	j := &segEnv{
		e: e, name: name, seg: seg,
		report:  &SegmentationReport{Name: name, Method: methodLabel(seg), DefinitionHash: e.v.Plan.DefinitionHashes[name]},
		version: &store.Version{Segmentation: name, Table: name, EntityColumn: e.s.Entity, Method: methodLabel(seg), Multi: seg.Multi},
	}
	method, ok := methods.Lookup(seg.Method())
	if !ok { // validation refuses it; a plan is only executed once valid
		return 0, fmt.Errorf("segmentation %s: no method is registered for its %s block", name, seg.Method())
	}
	check, key := e.checkEntities, seg.From
	if methods.ReadsTransactions(method) { // a row per purchase: entities repeat, and are counted
		check, key = e.countEntities, "\x00transactions "+seg.From
	}
	entities, checked := e.entities[key]
	if !checked { // segmentations of the same input share its check
		var err error
		if entities, err = check(ctx, "segmentation "+name, seg.From); err != nil {
			return 0, err
		}
		e.entities[key] = entities
	}
	j.version.Entities = entities
	if er, ok := e.onEngine(method, seg); ok {
		err := er.RunOnEngine(ctx, &segEngineEnv{segEnv: j})
		if err != nil {
			return 0, err
		}
	} else if err := method.Run(ctx, j); err != nil {
		return 0, err
	}
	describeSegments(j.version, &seg)
	var rows int64
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(name)).Scan(&rows); err != nil {
		return 0, err
	}
	if e.s.IsPostgres() && e.store == nil { // nothing to publish to: the summary's sizes, from the engine
		d, err := engineDiff(ctx, e.db, *j.version)
		if err != nil {
			return 0, err
		}
		j.report.Diff = d
	}
	// Profiles are the runner's, not the methods': every method's result is described the same way, for
	// every segmentation unless its spec says profile: []. A method reading transactions (clv) is not:
	// its input has a row per purchase, so joining members to it would weigh each by their purchases.
	if profiled(seg) && !methods.ReadsTransactions(method) {
		profiles, err := e.profile(ctx, name, seg, rows)
		if err != nil { // segrun's own statements: only the machine can fail them (memory, say)
			return 0, environmentError(err)
		}
		j.report.Profiles = profiles
	}
	// Audits that read the input (drift) run here, before it is released; the others, and the decision
	// to stop the run, when publishing has compared the version with the previous one.
	var audits *auditRun
	if len(seg.Audits) > 0 {
		var err error
		audits, err = e.auditInput(ctx, j)
		e.profiled = nil
		if err != nil {
			return 0, err
		}
	}
	e.profiled = nil // the profile's values, kept for a drift audit, are freed whether one read them or not
	e.res.Segmentations = append(e.res.Segmentations, *j.report)
	e.segVersions = append(e.segVersions, *j.version)
	e.segPayloads = append(e.segPayloads, segPayload{report: j.report, model: j.model, audits: audits})
	return rows, nil
}

// checkEntities refuses an input where an entity is missing or appears twice: either would silently give
// an entity no segment or two. It returns the number of entities.
func (e *execution) checkEntities(ctx context.Context, step, table string) (int64, error) {
	ent, tbl := sql.Ident(e.s.Entity), sql.Ident(table)
	var rows, nulls, dups int64
	if err := e.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE %[1]s IS NULL),
		(SELECT count(*) FROM (SELECT %[1]s FROM %[2]s WHERE %[1]s IS NOT NULL GROUP BY %[1]s HAVING count(*) > 1) segrun_dups)
		FROM %[2]s`, ent, tbl)).Scan(&rows, &nulls, &dups); err != nil {
		return 0, err
	}
	f := &Failure{Step: step}
	if dups > 0 {
		f.Msg = fmt.Sprintf("%d %s %s %s more than once in %s; each entity needs exactly one row", dups, e.s.Entity,
			plural.Form(dups, "value", "values"), plural.Form(dups, "appears", "appear"), table)
		sample, err := sql.SampleRows(ctx, e.db, fmt.Sprintf("SELECT %[1]s, count(*) AS rows FROM %[2]s WHERE %[1]s IS NOT NULL GROUP BY %[1]s HAVING count(*) > 1 ORDER BY rows DESC, %[1]s LIMIT 5", ent, tbl))
		if err != nil {
			return 0, err
		}
		f.Details = append(f.Details, sample...)
	}
	if nulls > 0 {
		if f.Msg != "" {
			f.Msg += "; "
		}
		f.Msg += fmt.Sprintf("%s of %s %s no %s", plural.Rows(nulls), table, plural.Form(nulls, "has", "have"), e.s.Entity)
	}
	if f.Msg != "" {
		return 0, f
	}
	return rows, nil
}

// countEntities counts the distinct entities of a transactions table (a row per purchase), refusing rows
// without one: they would be purchases of nobody.
func (e *execution) countEntities(ctx context.Context, step, table string) (int64, error) {
	var entities, nulls int64
	if err := e.db.QueryRow(ctx, EntityCountSQL(e.s.Entity, table, e.s.IsPostgres())).Scan(&entities, &nulls); err != nil {
		return 0, err
	}
	if nulls > 0 {
		return 0, &Failure{Step: step, Msg: fmt.Sprintf("%s of %s %s no %s", plural.Rows(nulls), table, plural.Form(nulls, "has", "have"), e.s.Entity)}
	}
	return entities, nil
}

// EntityCountSQL counts a transactions table's distinct entities and its rows without one. On
// PostgreSQL it groups by the entity first and counts the groups: on a table sharded by the entity the
// GROUP BY runs on the shards and a row per entity comes back, where count(DISTINCT entity) over the
// whole table cannot be split between shards and brought every row's entity to the coordinator (101M
// rows for 10M customers' orders). DuckDB keeps count(DISTINCT), about a fifth faster there (2.7-3.0 s
// against 3.4-3.8 s over 100M rows of 10M entities). Exported for the test that reads where it runs
// (internal/pgflagship).
func EntityCountSQL(entity, table string, postgres bool) string {
	if !postgres {
		return fmt.Sprintf(`SELECT count(DISTINCT %[1]s), count(*) FILTER (WHERE %[1]s IS NULL) FROM %[2]s`, sql.Ident(entity), sql.Ident(table))
	}
	return fmt.Sprintf(`SELECT count(*) FILTER (WHERE segrun_entity IS NOT NULL),
		CAST(coalesce(sum(segrun_rows) FILTER (WHERE segrun_entity IS NULL), 0) AS BIGINT)
	FROM (SELECT %[1]s AS segrun_entity, count(*) AS segrun_rows FROM %[2]s GROUP BY %[1]s) segrun_entities`,
		sql.Ident(entity), sql.Ident(table))
}
