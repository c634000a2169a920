package runner

import (
	"context"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

type stabilityParams struct {
	MinARI float64 `yaml:"min_ari"`
}

// stabilityAudit holds the adjusted Rand index between the previous version's memberships and this
// run's, over the entities in a segment in both, to min_ari. A clustering computes that index itself
// (ClusterReport.Stability, DBSCAN's noise counted as no segment), and the audit takes it from there; for
// every other method DuckDB counts the entities of each (previous segment, segment) pair and
// algorithms.AdjustedRandIndexOfTable computes the index from the counts, with the same arithmetic.
var stabilityAudit = &auditKind{
	name: "stability",
	check: func(c *validator, seg spec.Segmentation, path string, _ *yaml.Node, _ []sql.Column) {
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
		ari, ok, err := r.stability(ctx)
		if err != nil {
			return res, err
		}
		if !ok {
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
func (r *auditRun) stability(ctx context.Context) (ari float64, ok bool, err error) {
	if c := r.report.Cluster; c != nil {
		if c.Stability == nil {
			return 0, false, nil
		}
		return *c.Stability, true, nil
	}
	ent := sql.Ident(r.e.s.Entity)
	rows, err := r.e.db.Query(ctx, fmt.Sprintf(`SELECT p.segment::VARCHAR, r.segment::VARCHAR, count(*) FROM %s r
		JOIN (SELECT entity, segment FROM %s WHERE segmentation = %s) p ON p.entity = r.%s GROUP BY ALL`,
		sql.Ident(r.name), store.MembershipsAsOf(r.prevRun), sql.Literal(r.name), ent))
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var cells []algorithms.ContingencyCell
	for rows.Next() {
		var c algorithms.ContingencyCell
		if err := rows.Scan(&c.A, &c.B, &c.Count); err != nil {
			return 0, false, err
		}
		cells = append(cells, c)
	}
	if err := rows.Err(); err != nil || len(cells) == 0 {
		return 0, false, err
	}
	return algorithms.AdjustedRandIndexOfTable(cells), true, nil
}
