package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	// their pointers and skipping those the schema found wrong (Spec.BrokenWithin); input is the
	// segmentation's input's columns.
	check func(c *validator, seg spec.Segmentation, path string, params *yaml.Node, input []sql.Column)
	// evaluate measures this run's result (r) against the previous version. It sets Status and Checks
	// (Status AuditFail when a check Failed), Against and Note; the rest is the caller's.
	evaluate func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error)
}

// auditKinds are the audit kinds, in documentation order.
var auditKinds = []*auditKind{sizeAudit, driftAudit, stabilityAudit}

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
func (c *validator) checkAudits(seg spec.Segmentation, path string, input []sql.Column) {
	for i, a := range seg.Audits {
		at := fmt.Sprintf("%s/audits/%d", path, i)
		kind := auditKindNamed(a.Kind)
		if kind == nil || len(a.Kinds) != 1 || c.s.IsBroken(at) {
			continue // the schema or the spec's checks reported it
		}
		kind.check(c, seg, at+"/"+spec.Pointer(a.Kind)[1:], a.Params, input)
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
	// bins holds the drift-audited columns' bins computed in this run, by column (several drift audits
	// may name the same column).
	bins map[string]*methods.DriftBins
}

// audit evaluates segmentation j's audits against the previous version and records them in its report
// (stored with the version). A failing audit of severity warn is a warning of the run; failing ones of
// severity error stop the run before anything is published, all of them reported.
func (e *execution) audit(ctx context.Context, j *segEnv) error {
	r := &auditRun{e: e, name: j.name, seg: j.seg, report: j.report, version: j.version, bins: map[string]*methods.DriftBins{}}
	if err := r.loadPrevious(ctx); err != nil {
		return environmentError(err)
	}
	var failed []string
	for i, a := range j.seg.Audits {
		kind := auditKindNamed(a.Kind)
		if kind == nil { // validation refuses it
			return fmt.Errorf("segmentation %s, audit %d: no audit kind %q", j.name, i+1, a.Kind)
		}
		res, err := kind.evaluate(ctx, r, a.Params)
		if err != nil {
			return environmentError(fmt.Errorf("segmentation %s, audit %d (%s): %w", j.name, i+1, a.Kind, err))
		}
		res.Audit, res.Index, res.Severity = a.Kind, i+1, "error"
		if a.Warns() {
			res.Severity = "warn"
		}
		j.report.Audits = append(j.report.Audits, res)
		if res.Status != methods.AuditFail {
			continue
		}
		for _, line := range res.Failures() {
			if a.Warns() {
				e.warn("segmentation %s: %s", j.name, line)
			} else {
				failed = append(failed, line)
			}
		}
	}
	if len(failed) > 0 {
		return &Failure{Step: "segmentation " + j.name, Msg: "audits failed; nothing was published", Details: failed}
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

// segmentCounts counts this run's members of each segment.
func (r *auditRun) segmentCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := r.e.db.Query(ctx, fmt.Sprintf("SELECT segment::VARCHAR, count(*) FROM %s GROUP BY ALL", sql.Ident(r.name)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var seg string
		var n int64
		if err := rows.Scan(&seg, &n); err != nil {
			return nil, err
		}
		out[seg] = n
	}
	return out, rows.Err()
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

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
