package runner

import (
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

// describeSegments gives the version the spec's description of each segment (a rule's, or its segments:
// entry's), which the store keeps beside the segment's size and segrun show prints. A method's own
// description (a cluster's, generated from its centroid) stays where the spec gives none; the clustering
// report keeps it either way.
func describeSegments(v *store.Version, seg *spec.Segmentation) {
	names := map[string]bool{}
	for _, r := range seg.Rules {
		names[r.Segment] = true
	}
	for _, e := range seg.Segments {
		names[e.Key] = true
	}
	for n := range names {
		if d := seg.SegmentDescription(n); d != "" {
			if v.Descriptions == nil {
				v.Descriptions = map[string]string{}
			}
			v.Descriptions[n] = d
		}
	}
}
