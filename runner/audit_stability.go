package runner

import (
	"context"
	"fmt"
	"math"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

type stabilityParams struct {
	MinARI float64 `yaml:"min_ari"`
}

// stabilityAudit holds the adjusted Rand index between the previous version's memberships and this
// run's, over the entities in a segment in both, to min_ari. A clustering computes that index itself
// (ClusterReport.Stability, DBSCAN's noise counted as no segment), and the audit takes it from there; for
// every other method the version's transitions from the previous one (which publishing counts anyway:
// the entities of each (previous segment, segment) pair) are the contingency table, and
// algorithms.AdjustedRandIndexOfTable computes the index from it with the same arithmetic.
var stabilityAudit = &auditKind{
	name: "stability",
	check: func(c *validator, _ string, seg spec.Segmentation, path string, _ *yaml.Node, _ []sql.Column) {
		if seg.Multi {
			c.errorAt(path, "audit.stability", "stability compares partitions, and a multi segmentation puts an entity in several segments; audit its sizes instead", "")
		}
	},
	evaluate: func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error) {
		p, err := decodeParams[stabilityParams](params)
		if err != nil {
			return methods.AuditResult{}, err
		}
		res := methods.AuditResult{Against: r.prevRun}
		if r.prevRun == 0 {
			res.Status, res.Note = methods.AuditNotCompared, firstVersionNote()
			return res, nil
		}
		ari, ok := r.stability()
		if !ok || math.IsNaN(ari) {
			res.Status, res.Note = methods.AuditNotCompared, fmt.Sprintf("no entity is in a segment in both this version and version %d", r.prevRun)
			return res, nil
		}
		res.Checks = []methods.AuditCheck{{Measure: "ari", Value: &ari, Bound: "min_ari", Threshold: p.MinARI, Failed: ari < p.MinARI}}
		res.Status = auditStatus(res.Checks)
		return res, nil
	},
}

// stability is the adjusted Rand index of the previous version's memberships and this run's; ok is false
// when no entity is in a segment in both.
func (r *auditRun) stability() (ari float64, ok bool) {
	if c := r.report.Cluster; c != nil {
		if c.Stability == nil {
			return 0, false
		}
		return *c.Stability, true
	}
	// The transitions between two segments are the contingency table of the entities in a segment in
	// both versions ("" is no segment: entered or exited).
	var cells []algorithms.ContingencyCell
	for _, t := range r.diff.Transitions {
		if t.From != "" && t.To != "" && t.Entities > 0 {
			cells = append(cells, algorithms.ContingencyCell{A: t.From, B: t.To, Count: t.Entities})
		}
	}
	if len(cells) == 0 {
		return 0, false
	}
	return algorithms.AdjustedRandIndexOfTable(cells), true
}
