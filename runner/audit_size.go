package runner

import (
	"context"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// sizeParams are a size audit's: bounds of each segment's share of the input, and of its relative change
// since the previous version.
type sizeParams struct {
	Min       *float64 `yaml:"min"`
	Max       *float64 `yaml:"max"`
	MaxChange *float64 `yaml:"max_change"`
	Segments  []string `yaml:"segments"`
}

// sizeAudit holds each segment's share of the segmentation's input (as min_size does, over the input's
// entities, so a multi segmentation's shares may add up to more than 1) to [min, max], and its relative
// change |share / previous share - 1| to max_change. A segment new since the previous version (no members
// there) has an unbounded change and fails max_change; one gone (no members now) changed by -1. The
// segments audited are those this version can assign (a declared rule's, a cluster of the model; not
// DBSCAN's noise), or the ones segments: names. Sizes and shares are the version's comparison with the
// previous one (r.diff), which publishing computes anyway, and the previous version's stored ones.
var sizeAudit = &auditKind{
	name: "size",
	check: func(c *validator, _ string, _ spec.Segmentation, path string, params *yaml.Node, _ []sql.Column) {
		p, err := decodeParams[sizeParams](params)
		if err != nil || c.s.BrokenWithin(path+"/min") || c.s.BrokenWithin(path+"/max") {
			return
		}
		if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
			c.errorAt(path+"/min", "audit.range", fmt.Sprintf("size: min %g is greater than max %g", *p.Min, *p.Max), "")
		}
	},
	evaluate: func(ctx context.Context, r *auditRun, params *yaml.Node) (methods.AuditResult, error) {
		p, err := decodeParams[sizeParams](params)
		if err != nil {
			return methods.AuditResult{}, err
		}
		counts := map[string]int64{}
		for _, st := range r.diff.Segments {
			counts[st.Segment] = st.Size
		}
		prevShare := map[string]float64{}
		for _, st := range r.prevStats {
			prevShare[st.Segment] = st.Share
		}
		segments := p.Segments
		if segments == nil {
			segments = slices.Clone(r.version.Segments)
		}
		res := methods.AuditResult{Against: r.prevRun}
		entities := r.diff.Entities
		for _, seg := range segments {
			_, known := prevShare[seg]
			if !slices.Contains(r.version.Segments, seg) && counts[seg] == 0 && !known {
				res.Checks = append(res.Checks, methods.AuditCheck{Segment: seg, Measure: "share", Failed: true,
					Note: "not a segment of this segmentation, in this version or the previous one (size.segments names it)"})
				continue
			}
			share := 0.0
			if entities > 0 {
				share = float64(counts[seg]) / float64(entities)
			}
			if p.Min != nil {
				res.Checks = append(res.Checks, methods.AuditCheck{Segment: seg, Measure: "share", Value: &share, Bound: "min", Threshold: *p.Min, Failed: share < *p.Min})
			}
			if p.Max != nil {
				res.Checks = append(res.Checks, methods.AuditCheck{Segment: seg, Measure: "share", Value: &share, Bound: "max", Threshold: *p.Max, Failed: share > *p.Max})
			}
			if p.MaxChange == nil || r.prevRun == 0 {
				continue
			}
			before := prevShare[seg]
			check := methods.AuditCheck{Segment: seg, Measure: "share_change", Bound: "max_change", Threshold: *p.MaxChange}
			switch {
			case before == 0 && share == 0:
				zero := 0.0
				check.Value, check.Note = &zero, "no members in either version"
			case before == 0:
				check.Failed, check.Note = true, fmt.Sprintf("new: no members in version %d, share now %s", r.prevRun, methods.Percent(share))
			default:
				change := share/before - 1
				check.Value, check.Failed = &change, abs(change) > *p.MaxChange
				check.Note = fmt.Sprintf("share %s in version %d, %s now", methods.Percent(before), r.prevRun, methods.Percent(share))
			}
			res.Checks = append(res.Checks, check)
		}
		res.Status = auditStatus(res.Checks)
		if p.Min == nil && p.Max == nil && r.prevRun == 0 {
			res.Note = firstVersionNote()
		}
		return res, nil
	},
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
