package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// segrun measure: an audience version's treatment against its control group on an outcome of the spec,
// overall and per segment of the segmentations the audience includes, stored in the store's measurements.
//
// How the events are read: an outcome's from is a source, and measure reads the source's files as the
// validation resolved them (format, paths, reader options), with no feature in between. Campaign
// outcomes happen after the audience's as-of date, which is what features written against
// getvariable('as_of') are built not to see, so running them would hide the very events measured. The
// members are the audience's memberships at the version (treatment and control), read from the store in
// the same DuckDB workspace; everything up to one row per segment and group is computed there, and only
// those small aggregates come to Go for the statistics (algorithms/lift.go).

// MeasureOptions say what to measure.
type MeasureOptions struct {
	Audience, Outcome string
	// Run is the audience's version; 0: the latest published version that has it.
	Run int64
	// WindowDays is the window's length: events at or after the as-of date and before as_of + WindowDays.
	WindowDays int
	// MinLift is the relative lift the groups should be able to detect (0.1: 10%); a warning says when
	// they are too small for it. 0: no such warning.
	MinLift   float64
	StorePath string
	Wait      time.Duration
	// Now stamps the measurement (tests fix it).
	Now time.Time
}

// Measure computes, stores and returns the measurement. Problems of the request or the data (an unknown
// audience or outcome, an audience without a control group) are *Failure (exit 1); others are the
// environment's (exit 3).
func Measure(ctx context.Context, v *Validation, o MeasureOptions) (*store.Measurement, error) {
	if !v.Valid() {
		return nil, ErrInvalidSpec
	}
	s := v.Spec
	out, ok := s.Outcomes.Get(o.Outcome)
	if !ok {
		return nil, failf("", "the spec has no outcome %q%s", o.Outcome, namesHint(o.Outcome, s.Outcomes.Keys(), "outcomes:"))
	}
	path := o.StorePath
	if path == "" {
		path = s.StorePath()
	}
	db, st, err := measureWorkspace(ctx, s, path, o.Wait)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	defer st.Close()
	run, err := audienceVersion(ctx, st, o.Audience, o.Run)
	if err != nil {
		return nil, err
	}
	rec, err := st.RunByID(ctx, run)
	if err != nil {
		return nil, err
	}
	_, entityType, err := st.EntityColumn(ctx)
	if err != nil {
		return nil, err
	}
	m := store.Measurement{Run: run, Audience: o.Audience, Outcome: o.Outcome, Metric: out.Metric.Kind(), AsOf: rec.AsOf,
		WindowDays: o.WindowDays, WindowStart: rec.AsOf, WindowEnd: rec.AsOf.AddDate(0, 0, o.WindowDays), MinLift: o.MinLift, Measured: o.Now}
	step := "outcome " + o.Outcome
	value := "CAST(NULL AS DOUBLE PRECISION)"
	if out.Metric.Revenue != "" {
		value = fmt.Sprintf("CAST(%s AS DOUBLE PRECISION)", sql.Ident(out.Metric.Revenue))
	}
	at := fmt.Sprintf("CAST(%s AS TIMESTAMP)", sql.Ident(out.Time))
	q := fmt.Sprintf(`SELECT CAST(%s AS %s) AS entity, %s AS value FROM %s WHERE %s >= CAST(%s AS TIMESTAMP) AND %s < CAST(%s AS TIMESTAMP)`,
		sql.Ident(s.Entity), entityType, value, outcomeEvents(v, out.From),
		at, sql.Literal(m.WindowStart.Format(time.DateOnly)), at, sql.Literal(m.WindowEnd.Format(time.DateOnly)))
	if err := db.CreateTableAs(ctx, "segrun_measure_events", q); err != nil {
		return nil, sqlFailure(step, fmt.Sprintf("reading source %s: ", out.From), err, q)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM segrun_measure_events`).Scan(&m.Events); err != nil {
		return nil, err
	}
	// Each member's outcome, joined inside the engine: only one row per segment and group leaves it.
	q = fmt.Sprintf(`SELECT m.entity, m.segment AS grp, e.entity IS NOT NULL AS converted, coalesce(e.value, 0) AS value
		FROM %s m LEFT JOIN (SELECT entity, sum(value) AS value FROM segrun_measure_events GROUP BY entity) e USING (entity)
		WHERE m.segmentation = %s`, st.MembershipsAsOf(run), sql.Literal(o.Audience))
	if err := db.CreateTableAs(ctx, "segrun_measure_members", q); err != nil {
		return nil, err
	}
	overall, err := measureGroups(ctx, db, m.Metric, `SELECT CAST('' AS VARCHAR), CAST('' AS VARCHAR), grp, count(*), count(*) FILTER (WHERE converted), avg(value), coalesce(var_samp(value), 0)
		FROM segrun_measure_members GROUP BY grp`)
	if err != nil {
		return nil, err
	}
	if len(overall) == 0 {
		return nil, failf("", "version %d of audience %s has no members: there is nothing to measure", run, o.Audience)
	}
	if len(overall) != 1 {
		return nil, fmt.Errorf("version %d of audience %s: expected one overall comparison, got %d", run, o.Audience, len(overall))
	}
	m.Overall = overall[0]
	m.Overall.Lift, m.Overall.Note, err = compare(m.Metric, m.Overall, o.MinLift)
	var empty algorithms.ErrLiftEmptyGroup
	if errors.As(err, &empty) {
		return nil, failf("", "version %d of audience %s: %v (an audience is measured against its holdout: give it holdout: {share, salt})", run, o.Audience, err)
	}
	if err != nil {
		return nil, err
	}
	if segs := includedSegmentations(v, o.Audience); len(segs) > 0 {
		var quoted []string
		for _, n := range segs {
			quoted = append(quoted, sql.Literal(n))
		}
		m.Segments, err = measureGroups(ctx, db, m.Metric, fmt.Sprintf(`SELECT s.segmentation, s.segment, m.grp, count(*), count(*) FILTER (WHERE m.converted), avg(m.value), coalesce(var_samp(m.value), 0)
			FROM segrun_measure_members m JOIN %s s USING (entity) WHERE s.segmentation IN (%s)
			GROUP BY s.segmentation, s.segment, m.grp ORDER BY 1, 2`, st.MembershipsAsOf(run), strings.Join(quoted, ", ")))
		if err != nil {
			return nil, err
		}
		for i := range m.Segments {
			g := &m.Segments[i]
			g.Lift, g.Note, err = compare(m.Metric, *g, o.MinLift)
			if err != nil && !errors.As(err, &empty) {
				return nil, err
			}
		}
		adjustSegmentPValues(m.Segments)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE converted) FROM segrun_measure_members`).Scan(&m.MembersWithEvents); err != nil {
		return nil, err
	}
	window := fmt.Sprintf("%s to %s", m.WindowStart.Format(time.DateOnly), m.WindowEnd.AddDate(0, 0, -1).Format(time.DateOnly))
	switch {
	case m.Events == 0:
		m.Warnings = append(m.Warnings, fmt.Sprintf("source %s has no event in the window %s: nothing was measured (no lift is given, not a lift of 0); is the window right, and has the outcome happened yet?",
			out.From, window))
	case m.MembersWithEvents == 0:
		m.Warnings = append(m.Warnings, fmt.Sprintf("none of the %d members of version %d has an event in the window %s (its %d events are all of other entities): nothing was measured (no lift is given, not a lift of 0); is it the right version and outcome?",
			m.Overall.Treatment.N+m.Overall.Control.N, run, window, m.Events))
	}
	if m.MembersWithEvents == 0 {
		// Both groups at 0 compare as a lift of 0 with p = 1, which read (and was stored) as a campaign
		// that did nothing, when it had not been measured at all.
		for _, g := range append([]*store.MeasuredGroup{&m.Overall}, pointers(m.Segments)...) {
			g.Lift, g.PValueHolm, g.Note = nil, nil, "no member had an event in the window"
		}
	}
	if !o.Now.IsZero() && m.WindowEnd.After(o.Now) {
		// An open window is counted as it stands: a lift measured a week into a 30-day campaign.
		m.Warnings = append(m.Warnings, fmt.Sprintf("the window has not ended: it runs to %s, after today, so the events after today are not in yet; measure again after it ends (measuring replaces the stored row)",
			m.WindowEnd.AddDate(0, 0, -1).Format(time.DateOnly)))
	}
	if err := st.SaveMeasurement(ctx, m); err != nil {
		return nil, err
	}
	return &m, nil
}

// audienceVersion is the audience's version to measure: run if it has the audience, else the latest
// published one that has it.
func audienceVersion(ctx context.Context, st *store.Store, audience string, run int64) (int64, error) {
	found, method, err := st.PublishedVersion(ctx, audience, run)
	switch {
	case err != nil:
		return 0, err
	case found == 0 && run != 0:
		// Say why as show does: a version rolled back or replaced, or one the store never had, is not
		// one without the audience.
		r, err := st.RunByID(ctx, run)
		switch {
		case err != nil:
			return 0, err
		case r == nil:
			return 0, failf("", "store %s has no version %d (segrun runs lists the versions)", st.Path, run)
		case r.ReplacedBy != nil:
			return 0, failf("", "version %d was replaced by version %d", run, *r.ReplacedBy)
		case r.Status != store.StatusPublished:
			return 0, failf("", "version %d was %s (segrun runs lists the versions)", run, r.Status)
		}
		return 0, failf("", "version %d has no audience %q (segrun runs lists the versions)", run, audience)
	case found == 0:
		return 0, failf("", "no published version has an audience %q (is it in the spec's audiences:, and has a run published it?)", audience)
	case method != KindAudience:
		return 0, failf("", "%s is a segmentation (%s), not an audience: measure compares an audience's treatment with its control group", audience, method)
	}
	return found, nil
}

// includedSegmentations are the segmentations the spec's audience includes, in the spec's order.
func includedSegmentations(v *Validation, audience string) []string {
	a, ok := v.Spec.Audiences.Get(audience)
	if !ok {
		return nil
	}
	return a.Include.Keys()
}

// measureGroups reads rows of (segmentation, segment, group, members, converted, mean, variance) into
// comparisons, treatment and control side by side.
func measureGroups(ctx context.Context, db sql.Workspace, metric, q string) ([]store.MeasuredGroup, error) {
	rows, err := db.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	_, vals, err := sql.ScanAll(rows)
	if err != nil {
		return nil, err
	}
	var out []store.MeasuredGroup
	for _, r := range vals {
		seg, name, grp := fmt.Sprint(r[0]), fmt.Sprint(r[1]), fmt.Sprint(r[2])
		if len(out) == 0 || out[len(out)-1].Segmentation != seg || out[len(out)-1].Segment != name {
			out = append(out, store.MeasuredGroup{Segmentation: seg, Segment: name})
		}
		g := algorithms.LiftGroup{N: int(toInt64(r[3])), Metric: toFloat(r[5]), Variance: toFloat(r[6])}
		if metric == spec.MetricConverted {
			g = algorithms.RateGroup(g.N, int(toInt64(r[4])))
		}
		switch grp {
		case "treatment":
			out[len(out)-1].Treatment = g
		case "control":
			out[len(out)-1].Control = g
		}
	}
	return out, nil
}

// compare sets the lift of one comparison; a group without members leaves it nil with a note.
func compare(metric string, g store.MeasuredGroup, minLift float64) (*algorithms.Lift, string, error) {
	var l algorithms.Lift
	var err error
	if metric == spec.MetricConverted {
		l, err = algorithms.RateLift(g.Treatment, g.Control, minLift)
	} else {
		l, err = algorithms.MeanLift(g.Treatment, g.Control, minLift)
	}
	if err != nil {
		return nil, err.Error(), err
	}
	return &l, "", nil
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case nil:
		return 0
	}
	return float64(toInt64(v))
}

// namesHint is a did-you-mean, or the names there are, for a name not found.
func namesHint(name string, names []string, where string) string {
	if len(names) == 0 {
		return " (it has no " + where + " block)"
	}
	if s := spec.Nearest(name, names); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return " (it has " + strings.Join(slices.Sorted(slices.Values(names)), ", ") + ")"
}

// adjustSegmentPValues sets each segment comparison's Holm-adjusted p-value: the family is every segment
// comparison of the measurement that has a lift (of all the included segmentations at once), since all of
// them are read together for the segment that "worked".
func adjustSegmentPValues(groups []store.MeasuredGroup) {
	var idx []int
	var ps []float64
	for i, g := range groups {
		if g.Lift != nil {
			idx, ps = append(idx, i), append(ps, g.Lift.PValue)
		}
	}
	for k, adj := range algorithms.HolmAdjust(ps) {
		groups[idx[k]].PValueHolm = &adj
	}
}

func pointers(gs []store.MeasuredGroup) []*store.MeasuredGroup {
	out := make([]*store.MeasuredGroup, len(gs))
	for i := range gs {
		out[i] = &gs[i]
	}
	return out
}
