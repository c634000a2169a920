package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/sql/store"
)

// publish compares every segmentation with the base version, checks minimum sizes, and (unless this is a
// dry run) writes the run and all its versions to the store in one transaction.
func (e *execution) publish(ctx context.Context) error {
	var base int64
	if e.base != nil {
		base = e.base.ID
	}
	diffs := make([]*store.Diff, len(e.segVersions))
	for i, v := range e.segVersions {
		d, err := e.store.Diff(ctx, base, v)
		if err != nil {
			return environmentError(err)
		}
		diffs[i] = d
		e.res.Segmentations[i].Diff = d
		small, err := e.checkMinSize(v, d)
		if err != nil {
			return err
		}
		// Warned, not failed: the warnings are kept with the version too, in its stored summary (the
		// segmentation's report, of which the run's result holds a copy).
		for _, w := range small {
			e.warn("segmentation %s: %s", v.Segmentation, w)
			e.res.Segmentations[i].Notes = append(e.res.Segmentations[i].Notes, "min_size: "+w)
			r := e.segPayloads[i].report
			r.Notes = append(r.Notes, "min_size: "+w)
		}
	}
	if err := e.auditVersions(ctx, diffs); err != nil {
		return err
	}
	defer func() {
		for _, v := range e.segVersions {
			_ = e.store.DropStaging(context.WithoutCancel(ctx), v.Segmentation)
		}
	}()
	e.sortKPIs()
	e.res.KPIs = e.kpis
	id, err := e.store.NextRunID(ctx)
	if err != nil {
		return err
	}
	if e.o.DryRun {
		// What publishing would retire, as the real run says it: the version it would compare with is
		// the latest before the one it would replace, if any.
		at := id
		if e.replace != nil {
			at = e.replace.ID
		}
		if e.res.Retired, err = e.store.Retiring(ctx, at, e.segVersions); err != nil {
			return err
		}
		e.res.Outcome = OutcomeDryRun
		return nil
	}
	entityType := e.v.EntityType
	if err := e.encodePayloads(); err != nil {
		return environmentError(fmt.Errorf("publishing to %s: %w (nothing was published)", e.res.Store, err))
	}
	vars := store.Vars{}
	for _, v := range e.v.Vars {
		b, err := json.Marshal(v.Value)
		if err != nil {
			return environmentError(fmt.Errorf("publishing to %s: encoding var %s for the store: %w (nothing was published)", e.res.Store, v.Name, err))
		}
		vars[v.Name] = b
	}
	// Sources in plan order, however they were read (a streamed source is finished after later ones).
	order := map[string]int{}
	for i, st := range e.v.Plan.Steps {
		order[st.Name] = i
	}
	slices.SortStableFunc(e.fingerprints, func(a, b SourceFingerprint) int { return cmp.Compare(order[a.Source], order[b.Source]) })
	rec := store.RunRecord{
		ID: id, Pipeline: e.s.Name, AsOf: e.o.AsOf, Key: e.o.RunKey, SpecHash: e.v.Plan.SpecHash, SegrunVersion: e.o.Version,
		Vars: vars, Sources: e.fingerprints, Steps: storedSteps(e.res.Steps), Warnings: e.res.Warnings, StartedAt: time.Now().UTC(),
		Entity: e.s.Entity, EntityType: entityType, KPIs: e.kpis,
		EntityPII: e.v.EntityPII,
	}
	if rec.Models, err = e.storedModels(); err != nil {
		return failf("", "%v", err)
	}
	var replace int64
	if e.replace != nil {
		replace = e.replace.ID
	}
	e.progress("publishing version %d ...", id)
	retired, err := e.store.Publish(ctx, rec, replace, e.segVersions, diffs, store.PublishOptions{BeforeCommit: e.o.Hooks.BeforeCommit})
	if unknown := (*store.CommitUnknownError)(nil); errors.As(err, &unknown) {
		return fmt.Errorf("publishing to %s: %w", e.res.Store, err) // the caller looks (engine postgres)
	}
	if err != nil {
		return environmentError(fmt.Errorf("publishing to %s: %w (nothing was published)", e.res.Store, err))
	}
	e.res.Retired = retired
	e.progress(" done\n")
	e.res.Outcome, e.res.RunID = OutcomePublished, id
	return nil
}

// sortKPIs orders the run's KPI values KPI by KPI as the spec lists them, then segmentation by
// segmentation (KPIs sharing a table were computed together).
func (e *execution) sortKPIs() {
	kpiOrder, segOrder := e.s.KPIs.Keys(), e.s.Segmentations.Keys()
	slices.SortStableFunc(e.kpis, func(a, b store.KPIValue) int {
		return cmp.Or(cmp.Compare(slices.Index(kpiOrder, a.KPI), slices.Index(kpiOrder, b.KPI)),
			cmp.Compare(slices.Index(segOrder, a.Segmentation), slices.Index(segOrder, b.Segmentation)))
	})
}

// checkMinSize applies a segmentation's min_size to every segment this version can assign, an empty one
// included. A segment of the diff that the version cannot assign is not checked: a cluster that vanished
// (the diff lists it, at size 0, for the entities it lost), a rule removed from the spec, DBSCAN's noise
// (few outliers is no fault). With severity warn it returns the segments below min_size; otherwise they
// are a failure.
func (e *execution) checkMinSize(v store.Version, d *store.Diff) ([]string, error) {
	seg, _ := e.s.Segmentations.Get(v.Segmentation)
	ms := seg.MinSize
	if ms == nil {
		return nil, nil
	}
	sizes := map[string]int64{}
	for _, st := range d.Segments {
		sizes[st.Segment] = st.Size
	}
	var small []string
	for _, name := range v.Segments {
		size, share := sizes[name], 0.0
		if d.Entities > 0 {
			share = float64(size) / float64(d.Entities)
		}
		if ms.Count > 0 && size < int64(ms.Count) {
			small = append(small, fmt.Sprintf("%s has %s, fewer than min_size.count %d", name, plural.Entities(size), ms.Count))
		}
		if ms.Share > 0 && share < ms.Share {
			small = append(small, fmt.Sprintf("%s has %.2f%% of entities, less than min_size.share %.2f%%", name, 100*share, 100*ms.Share))
		}
	}
	if len(small) == 0 || ms.Severity == "warn" {
		return small, nil
	}
	return nil, &Failure{Step: "segmentation " + v.Segmentation, Msg: "segments below min_size; nothing was published", Details: small}
}

// segPayload is what a segmentation's version stores besides its memberships: its report (the summary;
// min_size warnings are added to it while publishing) and a clustering's model.
type segPayload struct {
	report *SegmentationReport
	model  any
	// audits are the segmentation's audits under way (nil: it has none), finished while publishing.
	audits *auditRun
}

// encodePayloads encodes every version's summary and model, once the reports are final.
func (e *execution) encodePayloads() error {
	for i, p := range e.segPayloads {
		v := &e.segVersions[i]
		summary, err := store.Encode(p.report)
		if err != nil {
			return err
		}
		model, err := store.Encode(p.model)
		if err != nil {
			return err
		}
		v.Summary, v.Model = store.Summary{Document: summary}, store.Model{Document: model}
	}
	return nil
}

// storedSteps are the run's step timings as the store records them.
func storedSteps(steps []StepReport) []store.StepTiming {
	if steps == nil {
		return nil
	}
	out := make([]store.StepTiming, len(steps))
	for i, s := range steps {
		out[i] = store.StepTiming{Step: s.Step, Kind: s.Kind, Rows: s.Rows, Seconds: s.Seconds, ReadBy: s.ReadBy}
	}
	return out
}
