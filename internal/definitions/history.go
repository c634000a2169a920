package definitions

import (
	"context"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/store"
)

// history is what the store holds of the pipeline's published versions.
type history struct {
	st       *store.Store
	pipeline string
	// runs are the published versions, oldest first.
	runs []store.Run
}

// storedVersion is one segmentation's version: its run, its record and its decoded summary (nil when it
// stored none this segrun can read).
type storedVersion struct {
	run    store.Run
	info   *store.VersionInfo
	report *runner.SegmentationReport
}

// readHistory reads the published runs; nil without a store.
func readHistory(ctx context.Context, st *store.Store) (*history, error) {
	if st == nil {
		return nil, nil
	}
	runs, err := st.Runs(ctx)
	if err != nil {
		return nil, err
	}
	h := &history{st: st}
	for _, r := range runs {
		if r.Status == store.StatusPublished {
			h.runs = append(h.runs, r)
			h.pipeline = r.Pipeline
		}
	}
	return h, nil
}

func (h *history) latest() *store.Run {
	if h == nil || len(h.runs) == 0 {
		return nil
	}
	return &h.runs[len(h.runs)-1]
}

// versionsOf are a segmentation's versions, oldest first.
func (h *history) versionsOf(ctx context.Context, segmentation string) ([]storedVersion, error) {
	if h == nil {
		return nil, nil
	}
	var out []storedVersion
	for _, r := range h.runs {
		info, err := h.st.Version(ctx, r.ID, segmentation)
		if err != nil {
			return nil, err
		}
		if info == nil {
			continue
		}
		v := storedVersion{run: r, info: info}
		if rep, ok, err := store.Decode[runner.SegmentationReport](info.Summary.Document); ok && err == nil {
			v.report = &rep
		}
		out = append(out, v)
	}
	return out, nil
}

// trend fills in the sizes of the segmentation's latest TrendVersions versions.
func (h *history) trend(ctx context.Context, out *Segmentation, versions []storedVersion) error {
	if len(versions) > TrendVersions {
		versions = versions[len(versions)-TrendVersions:]
	}
	for i := range out.Segments {
		out.Segments[i].Trend = make([]*int64, len(versions))
	}
	for i, v := range versions {
		out.Versions = append(out.Versions, VersionRef{Run: v.run.ID, AsOf: v.run.AsOf})
		stats, err := h.st.SegmentStats(ctx, v.run.ID, out.Name)
		if err != nil {
			return err
		}
		for _, st := range stats {
			for j := range out.Segments {
				if out.Segments[j].Name == st.Segment {
					size := st.Size
					out.Segments[j].Trend[i] = &size
				}
			}
		}
	}
	return nil
}
