package runner

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// kpiParams are a kpi audit's: the KPI (kpis:), bounds of its value, and of its relative change since the
// previous version, for the segments named (default every one) and, with population, the population.
type kpiParams struct {
	Name       string   `yaml:"name"`
	Min        *float64 `yaml:"min"`
	Max        *float64 `yaml:"max"`
	MaxChange  *float64 `yaml:"max_change"`
	Segments   []string `yaml:"segments"`
	Population bool     `yaml:"population"`
}

// kpiAudit holds a KPI's value (kpis:, computed for this segmentation in the same run) to [min, max] and
// its relative change (value - previous) / |previous| to max_change, segment by segment and, with
// population: true, for the population (every entity the segmentation assigned). The segments audited are
// those segments: names or, without it, every segment the version can assign unless population is set
// (population alone audits the population only: a KPI's per-segment values move with every boundary, and
// "retention of everyone" is the common target). Values are those published with the version
// (kpi_values), the previous version's read from the store, so the audit costs no query over the data.
//
// A segment without a value (no members this run, or none with a row in the KPI's table) is reported,
// not failed: the size audit is the one for segments that empty. Nor does a change fail when the previous
// version had no value to compare with (a new segment, a KPI added since). A previous value of 0 makes
// any change but none unbounded, and fails max_change, as a new segment fails the size audit's.
var kpiAudit = &auditKind{
	name: "kpi",
	check: func(c *validator, segName string, _ spec.Segmentation, path string, params *yaml.Node, _ []sql.Column) {
		p, err := decodeParams[kpiParams](params)
		if err != nil {
			return
		}
		if !c.s.BrokenWithin(path + "/name") {
			k, ok := c.s.KPIs.Get(p.Name)
			switch {
			case !ok:
				names := c.s.KPIs.Keys()
				msg := fmt.Sprintf("kpi: %q is not one of the spec's kpis", p.Name)
				sugg := spec.Nearest(p.Name, names)
				switch {
				case sugg != "":
					msg += fmt.Sprintf("; did you mean %q?", sugg)
				case len(names) == 0:
					msg += " (the spec declares none)"
				default:
					msg += fmt.Sprintf(" (declared: %s)", strings.Join(names, ", "))
				}
				c.errorAt(path+"/name", "audit.kpi", msg, sugg)
			case !slices.Contains(kpiSegmentations(c.s, k), segName):
				c.errorAt(path+"/name", "audit.kpi", fmt.Sprintf("kpi: KPI %q is not computed for segmentation %q (its segmentations: %s); add %s there",
					p.Name, segName, strings.Join(k.Segmentations, ", "), segName), "")
			}
		}
		if p.Min == nil && p.Max == nil && p.MaxChange == nil && !c.s.BrokenWithin(path) {
			c.errorAt(path, "audit.kpi", "kpi: nothing to hold the KPI to: give min, max or max_change", "")
		}
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max && !c.s.BrokenWithin(path+"/min") && !c.s.BrokenWithin(path+"/max") {
			c.errorAt(path+"/min", "audit.range", fmt.Sprintf("kpi: min %g is greater than max %g", *p.Min, *p.Max), "")
		}
	},
	evaluate: func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error) {
		p, err := decodeParams[kpiParams](params)
		if err != nil {
			return methods.AuditResult{}, err
		}
		prevValues, err := r.previousKPIs(ctx)
		if err != nil {
			return methods.AuditResult{}, err
		}
		now, before := kpiBySegment(r.kpis, p.Name), kpiBySegment(prevValues, p.Name)
		var audited []string // "" is the population
		if p.Population {
			audited = append(audited, "")
		}
		switch {
		case p.Segments != nil:
			audited = append(audited, p.Segments...)
		case !p.Population:
			audited = append(audited, r.version.Segments...)
		}
		res := methods.AuditResult{Against: r.prevRun}
		if len(now) == 0 {
			// Validation requires the KPI to be computed for this segmentation; a run has them all.
			res.Status, res.Note = methods.AuditNotCompared, fmt.Sprintf("KPI %s was not computed in this run", p.Name)
			return res, nil
		}
		for _, seg := range audited {
			cur, hasCur := now[seg]
			prev, hasPrev := before[seg]
			base := methods.AuditCheck{Segment: seg, KPI: p.Name, Measure: "kpi", Format: formatOfValues(now)}
			show := func(v float64) string { return store.FormatKPI(&v, base.Format) }
			if seg != "" && !hasCur && !hasPrev && !slices.Contains(r.version.Segments, seg) {
				base.Failed, base.Note = true, "not a segment of this segmentation, in this version or the previous one (kpi.segments names it)"
				res.Checks = append(res.Checks, base)
				continue
			}
			if cur.Value == nil {
				base.Note = "no value: no members this run"
				if hasCur {
					base.Note = "no value: none of its members has a row in the KPI's table"
				}
				res.Checks = append(res.Checks, base)
				continue
			}
			v := *cur.Value
			for _, b := range []struct {
				name   string
				bound  *float64
				failed func(v, t float64) bool
			}{{"min", p.Min, func(v, t float64) bool { return v < t }}, {"max", p.Max, func(v, t float64) bool { return v > t }}} {
				if b.bound != nil {
					c := base
					c.Value, c.Bound, c.Threshold, c.Failed = &v, b.name, *b.bound, b.failed(v, *b.bound)
					res.Checks = append(res.Checks, c)
				}
			}
			if p.MaxChange == nil || r.prevRun == 0 {
				continue
			}
			c := base
			c.Measure = "kpi_change"
			switch {
			case prev.Value == nil:
				c.Note = fmt.Sprintf("no value in version %d to compare with", r.prevRun)
			case *prev.Value == 0 && v == 0:
				zero := 0.0
				c.Value, c.Bound, c.Threshold, c.Note = &zero, "max_change", *p.MaxChange, fmt.Sprintf("%s in version %d and now", show(0), r.prevRun)
			case *prev.Value == 0:
				c.Bound, c.Threshold, c.Failed = "max_change", *p.MaxChange, true
				c.Note = fmt.Sprintf("%s in version %d, %s now: a change from 0 is unbounded", show(0), r.prevRun, show(v))
			default:
				change := (v - *prev.Value) / math.Abs(*prev.Value)
				c.Value, c.Bound, c.Threshold, c.Failed = &change, "max_change", *p.MaxChange, math.Abs(change) > *p.MaxChange
				c.Note = fmt.Sprintf("%s in version %d, %s now", show(*prev.Value), r.prevRun, show(v))
			}
			res.Checks = append(res.Checks, c)
		}
		res.Status = auditStatus(res.Checks)
		switch {
		case p.Min == nil && p.Max == nil && r.prevRun == 0:
			res.Note = firstVersionNote()
		case p.MaxChange != nil && r.prevRun != 0 && len(before) == 0:
			res.Note = fmt.Sprintf("version %d has no values of KPI %s (added since, or a store from before KPIs)", r.prevRun, p.Name)
		}
		return res, nil
	},
}

// kpiBySegment indexes a segmentation's values of KPI name by segment ("" the population).
func kpiBySegment(values []store.KPIValue, name string) map[string]store.KPIValue {
	out := map[string]store.KPIValue{}
	for _, v := range values {
		if v.KPI == name {
			out[v.Segment] = v
		}
	}
	return out
}

// previousKPIs reads the previous version's KPI values of the segmentation, once.
func (r *auditRun) previousKPIs(ctx context.Context) ([]store.KPIValue, error) {
	if r.prevKPIsRead || r.prevRun == 0 {
		return r.prevKPIs, nil
	}
	v, err := r.e.store.KPIValues(ctx, r.prevRun, r.name)
	if err != nil {
		return nil, err
	}
	r.prevKPIs, r.prevKPIsRead = v, true
	return v, nil
}

// formatOfValues is a KPI's format (number, percent, currency) from its values this run: how its audit's checks
// show values and bounds.
func formatOfValues(values map[string]store.KPIValue) string {
	for _, v := range values {
		if v.Format != "" {
			return v.Format
		}
	}
	return ""
}
