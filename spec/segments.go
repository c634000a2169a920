package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/segrun/segrun/algorithms"
)

// Segment metadata: what the people who use a segmentation say about each of its segments (what it
// means, who answers for it, what to do with its members), declared under a segmentation's `segments:`
// for any method. It is documentation: it never changes who is in which segment, so it is left out of a
// segmentation's definition hash (runner.DefinitionHash), though the spec hash, which covers the file's
// every byte, still changes with it.

// SegmentMeta is one segment's metadata.
type SegmentMeta struct {
	Description string  `yaml:"description"`
	Owner       string  `yaml:"owner"`
	Action      *Action `yaml:"action"`
}

// Action is a segment's action plan: the message for its members, the channel it goes out on, the offer.
type Action struct {
	Message string `yaml:"message"`
	Channel string `yaml:"channel"`
	Offer   string `yaml:"offer"`
}

// SegmentDescription is a segment's description: its rule's description, or its metadata's (validation
// refuses the two when they differ).
func (s *Segmentation) SegmentDescription(segment string) string {
	if m, ok := s.Segments.Get(segment); ok && m.Description != "" {
		return m.Description
	}
	for _, r := range s.Rules {
		if r.Segment == segment && r.Description != "" {
			return r.Description
		}
	}
	return ""
}

// SegmentOwner is a segment's owner: its own, else its segmentation's, else the pipeline's.
func (s *Spec) SegmentOwner(seg *Segmentation, segment string) string {
	if m, ok := seg.Segments.Get(segment); ok && m.Owner != "" {
		return m.Owner
	}
	return s.SegmentationOwner(seg)
}

// SegmentationOwner is a segmentation's owner, the pipeline's when it names none.
func (s *Spec) SegmentationOwner(seg *Segmentation) string {
	if seg.Owner != "" {
		return seg.Owner
	}
	return s.Owner
}

// PopulationSegment is the name KPI and profile output give the whole population, beside the segments
// (`all` in a run's summary, `(all)` in show's tables): no segment may take it, or its row would read as the
// population's.
const PopulationSegment = "all"

// ReservedSegmentMessage is the error for a segment named as the population, naming the segmentation.
func ReservedSegmentMessage(segmentation, segment string) string {
	return fmt.Sprintf("segment %q of %s: %q is reserved for the whole population in KPI and profile output; pick another name",
		segment, segmentation, PopulationSegment)
}

// DeclaredSegments are the segments a segmentation can assign, as far as the spec alone says: each rule's
// segment and else (rules, or rfm with rules), the named grid's segments for its bins (rfm), and for a
// clustering each named cluster and, with a fixed k, cluster_<id> for every unnamed id below k (DBSCAN's
// noise aside). complete is false where the spec cannot say them all: a clustering that chooses k (a range,
// or DBSCAN) may give ids the spec does not list, and a registered method's segments are its own.
func DeclaredSegments(seg *Segmentation) (names []string, complete bool) {
	switch seg.Method() {
	case "rules":
		return ruleSegments(seg), true
	case "rfm":
		if len(seg.Rules) > 0 {
			return ruleSegments(seg), true
		}
		bins := seg.RFM.Bins
		if bins == 0 {
			bins = 5
		}
		grid, err := algorithms.RFMGridFor(bins)
		if err != nil {
			return nil, false
		}
		for _, g := range grid {
			names = append(names, g.Segment)
		}
		return names, true
	case "cluster":
		cl := seg.Cluster
		k := cl.K.Value
		for id := 0; id < k; id++ {
			names = append(names, ClusterSegment(cl, id))
		}
		for id, n := range cl.Names {
			if i, err := strconv.Atoi(id); err == nil && (k == 0 || i >= k) && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		return names, k > 0
	}
	return nil, false
}

func ruleSegments(seg *Segmentation) []string {
	var names []string
	for _, r := range seg.Rules {
		if !slices.Contains(names, r.Segment) {
			names = append(names, r.Segment)
		}
	}
	if seg.Else != "" && !slices.Contains(names, seg.Else) {
		names = append(names, seg.Else)
	}
	return names
}

// ClusterSegment is a cluster's segment: its name from names:, else cluster_<id>.
func ClusterSegment(cl *Cluster, id int) string {
	if n, ok := cl.Names[strconv.Itoa(id)]; ok {
		return n
	}
	return fmt.Sprintf("cluster_%d", id)
}

var generatedCluster = regexp.MustCompile(`^cluster_(0|[1-9][0-9]{0,8})$`)

// segmentMetadata checks a segmentation's segments: each names a segment it can assign, a rule's
// description and the metadata's agree, and, once a team has started describing segments (the block is
// there), warns about the segments and the segmentation still without a description.
func (c *checker) segmentMetadata(name, base string, seg *Segmentation) {
	if len(seg.Segments) == 0 || c.s.IsBroken(base+"/segments") {
		return
	}
	method := seg.Method()
	if method != "rules" && method != "rfm" && method != "cluster" {
		return // a registered method's segments are its own to say
	}
	declared, _ := DeclaredSegments(seg)
	for _, e := range seg.Segments {
		path := base + "/segments/" + escapePointer(e.Key)
		if c.s.IsBroken(path) {
			continue
		}
		if method == "cluster" {
			c.clusterSegmentKey(name, path, seg.Cluster, e.Key, declared)
		} else if !slices.Contains(declared, e.Key) {
			c.unknownSegment(name, path, e.Key, declared)
		}
		if e.Value.Description == "" {
			continue
		}
		for i, r := range seg.Rules {
			if r.Segment == e.Key && r.Description != "" && r.Description != e.Value.Description {
				rule := fmt.Sprintf("%s/rules/%d/description", base, i)
				c.errorAt(path+"/description", "segment.description", fmt.Sprintf(
					"segment %q has two descriptions: %q here and %q in its rule at line %d; keep one (a rule's description is short for segments.%s.description)",
					e.Key, e.Value.Description, r.Description, c.s.Doc.Pos(rule).Line, e.Key), "")
			}
		}
	}
	var missing []string
	for _, n := range declared {
		if seg.SegmentDescription(n) == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		c.warnAtKey(base+"/segments", "segment.description", fmt.Sprintf("%s %s of %s %s no description; the definition document shows %s undescribed",
			plural(len(missing), "segment", "segments"), strings.Join(missing, ", "), name, plural(len(missing), "has", "have"), plural(len(missing), "it", "them")), "")
	}
	if seg.Description == "" {
		c.warnAtKey(base, "segment.description", fmt.Sprintf("segmentation %q describes its segments but has no description of its own", name), "")
	}
}

// clusterSegmentKey checks a segments key of a clustering: a name from names:, cluster_<id> of an unnamed
// id, or DBSCAN's noise.
func (c *checker) clusterSegmentKey(name, path string, cl *Cluster, key string, declared []string) {
	if slices.Contains(declared, key) || (key == NoiseSegment && cl.Method == "dbscan") {
		return
	}
	m := generatedCluster.FindStringSubmatch(key)
	if m == nil {
		c.unknownSegment(name, path, key, declared)
		return
	}
	id, _ := strconv.Atoi(m[1])
	if n, named := cl.Names[m[1]]; named {
		c.errorAtKey(path, "segment.unknown", fmt.Sprintf("cluster %d is named %q (names:), so no segment is %s; describe it as %s", id, n, key, n), n)
		return
	}
	if maxK := max(cl.K.Value, cl.K.Max); maxK > 0 && id >= maxK {
		// As for names: a cluster appearing in a later version gets a fresh id above every earlier one.
		c.warnAtKey(path, "segment.unknown", fmt.Sprintf("with k = %d a first fit numbers clusters 0 to %d: %s describes a cluster only once a later version gives a new cluster id %d",
			maxK, maxK-1, key, id), "")
	}
}

func (c *checker) unknownSegment(name, path, key string, declared []string) {
	sugg := Nearest(key, declared)
	c.errorAtKey(path, "segment.unknown", fmt.Sprintf("%q is not a segment of %s (it assigns %s)%s", key, name, strings.Join(declared, ", "), didYouMean(sugg)), sugg)
}
