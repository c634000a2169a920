package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	rulesmethod "github.com/segrun/segrun/runner/methods/rules"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// An audience's groups: the segments of its versions.
const (
	GroupTreatment = "treatment"
	GroupControl   = "control"
)

// AudienceMethod is how the store names an audience's versions (segmentation_versions.method): it tells
// them from segmentations' without a column of their own.
const AudienceMethod = "audience"

// runAudience computes an audience's members and groups into its table (entity, segment) and queues its
// version for publishing, like a segmentation's. Every step is one SQL statement over the segmentations'
// kept results; where: runs through the rule engine, as a segmentation's rules do.
func (e *execution) runAudience(ctx context.Context, name string) (int64, error) {
	a, _ := e.s.Audiences.Get(name)
	step := "audience " + name
	ent := sql.Ident(e.s.Entity)
	rep := &methods.AudienceReport{}
	selectIn := func(table string, segments []string) string {
		return fmt.Sprintf("SELECT %s FROM %s WHERE %s", ent, sql.Ident(table), segmentIn(segments))
	}
	var include, exclude []string
	for _, c := range a.Include {
		include = append(include, selectIn(c.Key, c.Value))
	}
	for _, c := range a.Exclude {
		exclude = append(exclude, selectIn(c.Key, c.Value))
	}
	excluded, passesWhere, consented := "false", "true", "true"
	if len(exclude) > 0 {
		excluded = fmt.Sprintf("%s IN (%s)", ent, strings.Join(exclude, " UNION ALL "))
	}
	var temp []string
	defer func() {
		for _, t := range temp {
			_ = e.db.DropTable(context.WithoutCancel(ctx), t)
		}
	}()
	if a.Where != "" {
		table, err := e.audienceWhere(ctx, name, a)
		if table != "" {
			temp = append(temp, table)
		}
		if err != nil {
			return 0, err
		}
		passesWhere = fmt.Sprintf("%s IN (SELECT %s FROM %s)", ent, ent, sql.Ident(table))
	}
	if a.Consent != nil {
		if err := e.checkedEntities(ctx, step, a.Consent.From); err != nil {
			return 0, err
		}
		consented = fmt.Sprintf("%s IN (SELECT %s FROM %s WHERE %s IS TRUE)", ent, ent, sql.Ident(a.Consent.From), sql.Ident(a.Consent.Column))
	}
	// Which higher audience of the priority list took an entity: they are exclusive, so at most one did.
	higher := e.s.PriorityAbove(name)
	takenBy := "CAST(NULL AS VARCHAR)"
	if len(higher) > 0 {
		var b strings.Builder
		b.WriteString("CASE")
		for _, h := range higher {
			fmt.Fprintf(&b, " WHEN %s IN (SELECT %s FROM %s) THEN %s", ent, ent, sql.Ident(h), sql.Literal(h))
		}
		b.WriteString(" END")
		takenBy = b.String()
	}
	stage := spec.ReservedPrefix + "audience_" + name
	temp = append(temp, stage)
	if err := e.db.CreateTableAs(ctx, stage, fmt.Sprintf(`SELECT %s, %s AS excluded, %s AS passes_where, %s AS consented, %s AS taken_by
		FROM (SELECT DISTINCT %s FROM (%s) segrun_included) segrun_candidates`,
		ent, excluded, passesWhere, consented, takenBy, ent, strings.Join(include, " UNION ALL "))); err != nil {
		return 0, err
	}
	if err := e.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*),
		count(*) FILTER (WHERE excluded),
		count(*) FILTER (WHERE NOT excluded AND NOT passes_where),
		count(*) FILTER (WHERE NOT excluded AND passes_where AND NOT consented),
		count(*) FILTER (WHERE NOT excluded AND passes_where AND consented)
		FROM %s`, sql.Ident(stage))).Scan(&rep.Candidates, &rep.Excluded, &rep.NotWhere, &rep.NoConsent, &rep.Qualified); err != nil {
		return 0, err
	}
	qualified := "NOT excluded AND passes_where AND consented"
	if len(higher) > 0 {
		rep.PriorityList = priorityListOf(e.s, name)
		lost := map[string]int64{}
		rows, err := e.db.Query(ctx, fmt.Sprintf("SELECT taken_by, count(*) FROM %s WHERE %s AND taken_by IS NOT NULL GROUP BY taken_by", sql.Ident(stage), qualified))
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var h string
			var n int64
			if err := rows.Scan(&h, &n); err != nil {
				rows.Close()
				return 0, err
			}
			lost[h] = n
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return 0, err
		}
		for _, h := range higher { // in the list's order, every higher audience named, 0 or not
			rep.LostTo = append(rep.LostTo, methods.AudienceLoss{Audience: h, Entities: lost[h]})
			rep.LostToHigher += lost[h]
		}
	}
	pg := e.s.IsPostgres()
	groups := []string{GroupTreatment}
	group := sql.Literal(GroupTreatment)
	descriptions := map[string]string{GroupTreatment: "reached by the campaign"}
	if h := a.Holdout; h != nil {
		groups = []string{GroupControl, GroupTreatment}
		group = fmt.Sprintf("CASE WHEN %s < CAST(%s AS DOUBLE PRECISION) THEN %s ELSE %s END", holdoutUniformSQL(h.Salt, e.s.Entity, pg),
			strconv.FormatFloat(h.Share, 'g', -1, 64), sql.Literal(GroupControl), sql.Literal(GroupTreatment))
		descriptions[GroupControl] = fmt.Sprintf("held out (share %g, salt %q)", h.Share, h.Salt)
	}
	if err := e.db.CreateTableAs(ctx, name, fmt.Sprintf("SELECT %s, CAST(%s AS %s) AS segment FROM %s WHERE %s AND taken_by IS NULL",
		ent, group, segmentColumnType(pg, groups), sql.Ident(stage), qualified)); err != nil {
		return 0, err
	}
	if err := e.stageDeliveries(ctx, name, a); err != nil {
		return 0, err
	}
	if err := e.db.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE segment = 'treatment'), count(*) FILTER (WHERE CAST(segment AS VARCHAR) = 'control') FROM %s`,
		sql.Ident(name))).Scan(&rep.Members, &rep.Treatment, &rep.Control); err != nil {
		return 0, err
	}
	report := &SegmentationReport{Name: name, Method: AudienceMethod, Audience: rep}
	if h := a.Holdout; h != nil {
		hr := &methods.HoldoutReport{Share: h.Share, Salt: h.Salt}
		if rep.Members > 0 {
			hr.Realised = float64(rep.Control) / float64(rep.Members)
		}
		hr.ChiSquare, hr.PValue = algorithms.SampleRatioMismatch(rep.Control, rep.Treatment, h.Share)
		hr.Mismatch = hr.PValue < algorithms.SRMAlpha
		rep.Holdout = hr
		if hr.Mismatch {
			msg := fmt.Sprintf("sample ratio mismatch: the holdout is %.2f%% of %d members, not the declared %g%% (chi-square %.1f, p = %.2g < %g)",
				100*hr.Realised, rep.Members, 100*h.Share, hr.ChiSquare, hr.PValue, algorithms.SRMAlpha)
			e.warn("audience %s: %s", name, msg)
			report.Notes = append(report.Notes, msg)
		}
	}
	version := store.Version{Segmentation: name, Table: name, EntityColumn: e.s.Entity, Method: AudienceMethod,
		Entities: rep.Members, Segments: groups, Descriptions: descriptions}
	e.res.Segmentations = append(e.res.Segmentations, *report)
	e.segVersions = append(e.segVersions, version)
	e.segPayloads = append(e.segPayloads, segPayload{report: report})
	return rep.Members, nil
}

// priorityListOf names the priority list holding audience, or "".
func priorityListOf(s *spec.Spec, audience string) string {
	for _, e := range s.PriorityLists {
		for _, n := range e.Value {
			if n == audience {
				return e.Key
			}
		}
	}
	return ""
}

// checkedEntities holds a table an audience reads by entity to one row per entity (checkEntities), once
// per run.
func (e *execution) checkedEntities(ctx context.Context, step, table string) error {
	if _, ok := e.entities[table]; ok {
		return nil
	}
	n, err := e.checkEntities(ctx, step, table)
	if err != nil {
		return err
	}
	e.entities[table] = n
	return nil
}

// audienceWhere evaluates an audience's where: over its from with the rule engine, as a rule of one
// segment, into a table of the entities it holds for; it returns the table's name.
func (e *execution) audienceWhere(ctx context.Context, name string, a spec.Audience) (string, error) {
	from := audienceFrom(e.s, a)
	step := "audience " + name
	if err := e.checkedEntities(ctx, step, from); err != nil {
		return "", err
	}
	table := spec.ReservedPrefix + "where_" + name
	seg := spec.Segmentation{From: from, Rules: []spec.Rule{{Segment: "match", When: a.Where}}}
	env := whereEnv{segEnv: &segEnv{e: e, name: table, seg: seg, report: &SegmentationReport{}, version: &store.Version{}}, audience: name}
	rs, err := rulesmethod.Compile(seg.Rules, "", false, rulesmethod.Env(env.Input(), env.Vars()))
	if err != nil {
		return "", fmt.Errorf("%s: where: %w", step, err)
	}
	if e.s.IsPostgres() {
		// Inside the server, as a rules segmentation runs there: one CASE, nothing pulled.
		if err := rulesmethod.ApplyOnEngine(ctx, e.db, env, rs, from, nil, engine.SQLOptions{Dialect: engine.Postgres, VarsTable: postgres.VarsTable}); err != nil {
			return table, fmt.Errorf("%s: where: %w", step, err)
		}
		return table, nil
	}
	return table, rulesmethod.Apply(ctx, env, rs, from, nil)
}

// whereEnv is an audience's where: evaluated as a rules segmentation would be; its failures name the
// audience.
type whereEnv struct {
	*segEnv
	audience string
}

func (w whereEnv) Fail(msg string, details ...string) error {
	return &Failure{Step: "audience " + w.audience, Msg: "where: " + msg, Details: details}
}
