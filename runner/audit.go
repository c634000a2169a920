package runner

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// auditKind is one kind of segmentation audit (spec.Audit): how validation holds its parameters to the
// segmentation and its input, and how a run measures its result against the previous version. A new kind
// is a file audit_<name>.go with its value, an entry in auditKinds, and its shape in the schema's audit
// definition (TestAuditKindsAreTheSchemas holds the registry and the schema together).
type auditKind struct {
	name string
	// check types the parameters (the YAML under the kind's key, at path) without data, reporting at
	// their pointers and skipping those the schema found wrong (Spec.BrokenWithin); segName is the
	// segmentation's name and input its input's columns.
	check func(c *validator, segName string, seg spec.Segmentation, path string, params *yaml.Node, input []sql.Column)
	// evaluate measures this run's result (r) against the previous version. It sets Status and Checks
	// (Status AuditFail when a check Failed), Against and Note; the rest is the caller's.
	evaluate func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error)
	// readsInput says the kind reads the segmentation's input, so it is evaluated right after the
	// segmentation, before the input is released; the others are evaluated while publishing, from the
	// comparison with the previous version (r.diff: sizes, shares, transitions) that publishing computes
	// anyway.
	readsInput bool
}

// auditKinds are the audit kinds, in documentation order.
var auditKinds = []*auditKind{sizeAudit, driftAudit, stabilityAudit, kpiAudit}

func auditKindNamed(name string) *auditKind {
	for _, k := range auditKinds {
		if k.name == name {
			return k
		}
	}
	return nil
}

// checkAudits types a segmentation's audits against its input's columns (the schema and spec.checker
// have checked their shape).
func (c *validator) checkAudits(name string, seg spec.Segmentation, path string, input []sql.Column) {
	for i, a := range seg.Audits {
		at := fmt.Sprintf("%s/audits/%d", path, i)
		kind := auditKindNamed(a.Kind)
		if kind == nil || len(a.Kinds) != 1 || c.s.IsBroken(at) {
			continue // the schema or the spec's checks reported it
		}
		kind.check(c, name, seg, at+"/"+spec.Pointer(a.Kind)[1:], a.Params, input)
	}
}

// auditRun is what a segmentation's audits measure: this run's result and the previous version of the
// segmentation (none for its first version).
type auditRun struct {
	e       *execution
	name    string
	seg     spec.Segmentation
	report  *methods.Report
	version *store.Version
	// prevRun is the previous version's run (0: none); prev its stored summary (nil: none, or unreadable)
	// and prevStats its segments' sizes and shares.
	prevRun   int64
	prev      *methods.Report
	prevStats []store.SegmentStat
	// drift is what the drift audits compare, measured on the first (measureDrift).
	drift *driftMeasures
	// diff is the version's comparison with the previous one, for the audits evaluated while publishing.
	diff *store.Diff
	// kpis are this run's KPI values of the segmentation (set while publishing, when every KPI has run);
	// prevKPIs the previous version's, read from the store on first use (prevKPIsRead).
	kpis         []store.KPIValue
	prevKPIs     []store.KPIValue
	prevKPIsRead bool
}

// auditInput starts segmentation j's audits: it reads the previous version and evaluates the kinds that
// read the input (drift). The rest are publishing's (auditVersions).
func (e *execution) auditInput(ctx context.Context, j *segEnv) (*auditRun, error) {
	r := &auditRun{e: e, name: j.name, seg: j.seg, report: j.report, version: j.version}
	if err := r.loadPrevious(ctx); err != nil {
		return nil, environmentError(err)
	}
	return r, r.evaluate(ctx, true)
}

// evaluate evaluates the segmentation's audits that read the input (or the others), recording them in
// its report in the spec's order.
func (r *auditRun) evaluate(ctx context.Context, readsInput bool) error {
	for i, a := range r.seg.Audits {
		kind := auditKindNamed(a.Kind)
		if kind == nil { // validation refuses it
			return fmt.Errorf("segmentation %s, audit %d: no audit kind %q", r.name, i+1, a.Kind)
		}
		if kind.readsInput != readsInput {
			continue
		}
		start := time.Now()
		res, err := kind.evaluate(ctx, r, a.Params)
		if err != nil {
			return environmentError(fmt.Errorf("segmentation %s, audit %d (%s): %w", r.name, i+1, a.Kind, err))
		}
		res.Audit, res.Index, res.Severity = a.Kind, i+1, "error"
		if a.Warns() {
			res.Severity = "warn"
		}
		r.report.Audits = append(r.report.Audits, res)
		r.e.log.Debug("audited", "segmentation", r.name, "audit", i+1, "kind", a.Kind, "status", res.Status, "seconds", time.Since(start).Seconds())
	}
	slices.SortFunc(r.report.Audits, func(a, b methods.AuditResult) int { return a.Index - b.Index })
	return nil
}

// auditVersions finishes every segmentation's audits once publishing has compared each version with
// the previous one (diffs, in segVersions' order), then acts on them: a failing audit of severity warn
// is a warning of the run (runs.warnings); failing ones of severity error, every one of them, stop the
// run before anything is published. A dry run is audited as the run would be.
func (e *execution) auditVersions(ctx context.Context, diffs []*store.Diff) error {
	var failed []string
	for i, p := range e.segPayloads {
		r := p.audits
		if r == nil {
			continue
		}
		r.diff = diffs[i]
		r.kpis = nil
		for _, v := range e.kpis {
			if v.Segmentation == r.name {
				r.kpis = append(r.kpis, v)
			}
		}
		if err := r.evaluate(ctx, false); err != nil {
			return err
		}
		e.res.Segmentations[i].Audits = r.report.Audits
		for _, res := range r.report.Audits {
			if res.Status != methods.AuditFail {
				continue
			}
			for _, line := range res.Failures() {
				if res.Severity == "warn" {
					e.warn("segmentation %s: %s", r.name, line)
				} else {
					failed = append(failed, fmt.Sprintf("segmentation %s: %s", r.name, line))
				}
			}
		}
	}
	if len(failed) > 0 {
		return &Failure{Msg: "audits failed; nothing was published", Details: failed}
	}
	return nil
}

// loadPrevious reads the previous version of the segmentation: the base version's, if it has one.
func (r *auditRun) loadPrevious(ctx context.Context) error {
	if r.e.base == nil {
		return nil
	}
	info, err := r.e.store.Version(ctx, r.e.base.ID, r.name)
	if err != nil || info == nil {
		return err
	}
	r.prevRun = r.e.base.ID
	if rep, ok, err := store.Decode[methods.Report](info.Summary.Document); ok && err == nil {
		r.prev = &rep
	}
	r.prevStats, err = r.e.store.SegmentStats(ctx, r.prevRun, r.name)
	return err
}

// decodeParams decodes an audit's parameters; validation has checked their shape, so an error here is
// segrun's.
func decodeParams[T any](n *yaml.Node) (T, error) {
	var p T
	if n == nil {
		return p, nil
	}
	err := n.Decode(&p)
	return p, err
}

// auditStatus is AuditFail when a check failed, AuditPass when any was held to a bound, else
// AuditNotCompared.
func auditStatus(checks []methods.AuditCheck) string {
	if slices.ContainsFunc(checks, func(c methods.AuditCheck) bool { return c.Failed }) {
		return methods.AuditFail
	}
	if slices.ContainsFunc(checks, func(c methods.AuditCheck) bool { return c.Bound != "" }) {
		return methods.AuditPass
	}
	return methods.AuditNotCompared
}

func firstVersionNote() string {
	return "the first version of this segmentation: nothing to compare with"
}
