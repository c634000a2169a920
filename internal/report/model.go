// Package report is segrun report: a store's segmentations as one self-contained HTML page of charts.
// Load reads the report's model from the store (per-version aggregates and summaries, never the
// memberships: a store of 30 versions of a million customers reads in well under a second); Render writes
// the page (render.go), with the standard charts drawn by gonum's plot as inline SVG and the flow diagram
// drawn here (sankey.go).
package report

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql/store"
)

// Report is everything the page shows, read from one store.
type Report struct {
	// Pipeline names the pipeline (the latest version's), Store where it was read.
	Pipeline string
	Store    string
	// Latest is the version the page describes; Versions every published version, oldest first.
	Latest   Version
	Versions []Version
	// Segmentations are the latest version's, in name order (or in the order --segmentation gave them).
	Segmentations []*Segmentation
	// Warnings are what the latest run warned about and went on: its data tests of severity warn (and
	// other warnings, e.g. a min_size); a failing error-level test stops a run before it publishes.
	Warnings []string
	// Definitions is the definition document of every segmentation (segrun docs), when the caller built
	// it (it needs the spec for descriptions, owners and action plans); nil: not shown.
	Definitions *DefinitionSection
}

// Version is one published version.
type Version struct {
	Run  int64
	AsOf time.Time
}

// Label is how the page names a version: its number and as-of date.
func (v Version) Label() string { return fmt.Sprintf("v%d %s", v.Run, v.AsOf.Format(time.DateOnly)) }

// Segmentation is one segmentation's part of the report.
type Segmentation struct {
	Name   string
	Method string
	// Entities and Assigned are the latest version's: entities in the input, and in a segment.
	Entities, Assigned int64
	// Segments are the latest version's segments, largest first.
	Segments []store.SegmentStat
	// Order is every segment name the history has, largest (now) first and segments no longer present
	// after them: charts give each its colour in this order, the same in every chart.
	Order []string
	// History is the segments' sizes in every version of this segmentation, oldest first.
	History []SizesAt
	// Moves is the flow between the last two versions; nil when there is only one.
	Moves *Moves
	// Lift is the latest profile's lift per segment and numeric column; nil without a stored profile.
	Lift *LiftTable
	// Cluster is a clustering's projection, validity and stability; nil for other methods.
	Cluster *ClusterView
	// Notes are the latest version's notes (min_size warnings, clustering notes).
	Notes []string

	// Each stays nil until its source exists in the store, and the page shows its section only when set:
	// KPIs: KPI values per segment across versions (the kpi_values table of store schema 5).
	KPIs *KPISection
	// Audits: the latest version's audit results (stored in its summary by the audits step).
	Audits *AuditSection
	// Measurements: an audience's lift as segrun measure stored it (measurements.go).
	Measurements *MeasurementSection
	// Audience is set for an audience (stored as a segmentation with method "audience", its segments
	// treatment and control).
	Audience *Audience
}

// KPISection is a segmentation's KPIs: each one's value per segment and for the population in every
// version that computed it (the store's kpi_values).
type KPISection struct {
	KPIs []KPITrend
}

// KPITrend is one KPI of a segmentation across versions.
type KPITrend struct {
	Name, Description string
	// Format is how its values read: number, percent or currency.
	Format string
	// Versions are those that computed it, oldest first.
	Versions []Version
	// Segments are the segments with a value in some version, in the segmentation's order; the
	// population ("") is not among them.
	Segments []string
	// Values[segment][i] is the value in Versions[i] ("" the population); nil where there is none.
	Values map[string][]*float64
	// Members[segment] are the latest version's members with rows in the KPI's table.
	Members map[string]int64
}

// AuditSection is the latest version's audits, in the spec's order.
type AuditSection struct {
	Results []methods.AuditResult
}

// DefinitionSection is the definition document (internal/definitions) as an HTML fragment with its
// stylesheet, set by the caller that has the spec (Report.Definitions).
type DefinitionSection struct {
	HTML template.HTML
	CSS  template.CSS
}

// Audience is an audience's part: its treatment and holdout control group.
type Audience struct {
	Treatment, Control int64
}

// HoldoutShare is the control group's share of the audience.
func (a Audience) HoldoutShare() float64 {
	if a.Treatment+a.Control == 0 {
		return 0
	}
	return float64(a.Control) / float64(a.Treatment+a.Control)
}

// SizesAt is a segmentation's segment sizes in one version.
type SizesAt struct {
	Version
	Sizes map[string]int64
}

// Moves is who moved between two versions: entities from each segment (or from none: new entities) to
// each segment (or none: gone), the stayers included.
type Moves struct {
	From, To Version
	// Flows are the counts, largest first; "" is no segment.
	Flows []store.Transition
}

// Total is the entities the flows hold.
func (m *Moves) Total() int64 {
	var n int64
	for _, f := range m.Flows {
		n += f.Entities
	}
	return n
}

// LiftTable is a segments x features table of lift: a segment's mean of a feature over the population's
// (1: like everyone; 2: twice the average).
type LiftTable struct {
	Segments []string
	Features []string
	// Lift[i][j] is segment i's lift in feature j; nil where it is undefined (a population mean of 0).
	Lift [][]*float64
	// Source says where the numbers come from: the version's profile, or a clustering's cluster means
	// against the clustered rows' mean when no profile was stored.
	Source string
}

// ClusterView is what a clustering adds: where its rows lie, and how good and how stable it was in each
// version.
type ClusterView struct {
	// Projection is a seeded sample of the latest version's rows on two principal components, each point
	// with its segment's name ("noise" for rows no cluster took); nil when the version stored none.
	Projection *Projection
	// Quality is validity and stability per version, oldest first.
	Quality []Quality
}

// Projection is the latest version's stored projection with segment names.
type Projection struct {
	Rows                   int
	ExplainedVarianceRatio []float64
	X, Y                   []float64
	Segment                []string
}

// Quality is a clustering version's validity and stability.
type Quality struct {
	Version
	// Scored is false when validity could not be scored (a single cluster, say).
	Scored                                      bool
	Silhouette, DaviesBouldin, CalinskiHarabasz float64
	// ARI is the adjusted Rand index against the previous version; nil for the first.
	ARI *float64
}

// Options choose what the report shows.
type Options struct {
	// Segmentations restricts the report to these, in this order; empty: every segmentation.
	Segmentations []string
}

// UnknownSegmentationError is an --segmentation the latest version does not have.
type UnknownSegmentationError struct {
	Name string
	Have []string
}

func (e *UnknownSegmentationError) Error() string {
	return fmt.Sprintf("the latest version has no segmentation %q (it has %v)", e.Name, e.Have)
}

// ErrNoVersion is a store with nothing published.
var ErrNoVersion = errors.New("the store has no published version yet")

// Load reads the report from a store.
func Load(ctx context.Context, st *store.Store, opt Options) (*Report, error) {
	runs, err := st.Runs(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Store: st.Path}
	var latest *store.Run
	for i := range runs {
		if runs[i].Status == store.StatusPublished {
			r.Versions = append(r.Versions, Version{Run: runs[i].ID, AsOf: runs[i].AsOf})
			latest = &runs[i]
		}
	}
	if latest == nil {
		return nil, ErrNoVersion
	}
	r.Latest, r.Pipeline = Version{Run: latest.ID, AsOf: latest.AsOf}, latest.Pipeline
	if err := json.Unmarshal([]byte(latest.Warnings), &r.Warnings); err != nil {
		r.Warnings = []string{"(the run's warnings could not be read: " + err.Error() + ")"}
	}
	names, err := st.Segmentations(ctx, latest.ID)
	if err != nil {
		return nil, err
	}
	if len(opt.Segmentations) > 0 {
		for _, n := range opt.Segmentations {
			if !slices.Contains(names, n) {
				return nil, &UnknownSegmentationError{Name: n, Have: names}
			}
		}
		names = opt.Segmentations
	}
	for _, name := range names {
		s, err := loadSegmentation(ctx, st, r.Latest, name)
		if err != nil {
			return nil, fmt.Errorf("segmentation %s: %w", name, err)
		}
		r.Segmentations = append(r.Segmentations, s)
	}
	return r, nil
}

// loadSegmentation reads one segmentation: its history of sizes and summaries in two statements, then the
// latest version's moves and, for a clustering, its model's projection.
func loadSegmentation(ctx context.Context, st *store.Store, latest Version, name string) (*Segmentation, error) {
	s := &Segmentation{Name: name}
	stats, err := st.SegmentStats(ctx, latest.Run, name)
	if err != nil {
		return nil, err
	}
	s.Segments = stats
	sizes, err := st.SegmentHistory(ctx, name)
	if err != nil {
		return nil, err
	}
	s.History, s.Order = history(sizes, stats)
	records, err := st.VersionHistory(ctx, name)
	if err != nil {
		return nil, err
	}
	var reports []*methods.Report
	for _, v := range records {
		rep, _, err := store.Decode[*methods.Report](v.Summary.Document)
		if err != nil {
			return nil, fmt.Errorf("reading version %d's summary: %w", v.Run, err)
		}
		reports = append(reports, rep)
	}
	if n := len(records); n > 0 {
		last := records[n-1]
		s.Method, s.Entities, s.Assigned = last.Method, last.Entities, last.Assigned
		if rep := reports[n-1]; rep != nil {
			s.Notes = rep.Notes
			s.Lift = liftTable(rep, s.Order)
		}
	}
	if n := len(reports); n > 0 && reports[n-1] != nil && len(reports[n-1].Audits) > 0 {
		s.Audits = &AuditSection{Results: reports[n-1].Audits}
	}
	if s.Method == "audience" {
		a := &Audience{}
		for _, st := range stats {
			switch st.Segment {
			case "treatment":
				a.Treatment = st.Size
			case "control":
				a.Control = st.Size
			}
		}
		s.Audience = a
		if s.Measurements, err = loadMeasurements(ctx, st, name); err != nil {
			return nil, err
		}
	}
	kpis, err := st.KPIHistory(ctx, name, "")
	if err != nil {
		return nil, err
	}
	s.KPIs = kpiSection(kpis, s.Order)
	if len(records) >= 2 {
		prev := records[len(records)-2]
		trans, err := st.Transitions(ctx, latest.Run, name)
		if err != nil {
			return nil, err
		}
		if len(trans) > 0 { // a multi segmentation keeps no transitions
			s.Moves = &Moves{From: Version{prev.Run, prev.AsOf}, To: latest, Flows: slices.Clone(trans)}
			slices.SortStableFunc(s.Moves.Flows, func(a, b store.Transition) int { return cmp.Compare(b.Entities, a.Entities) })
		}
	}
	if slices.ContainsFunc(reports, func(r *methods.Report) bool { return r != nil && r.Cluster != nil }) {
		s.Cluster = &ClusterView{}
		for i, rep := range reports {
			if rep == nil || rep.Cluster == nil {
				continue
			}
			c := rep.Cluster
			v := c.Validity
			s.Cluster.Quality = append(s.Cluster.Quality, Quality{Version: Version{records[i].Run, records[i].AsOf},
				Scored: !(v.Reason != "" && v.SilhouetteSample == 0), Silhouette: v.Silhouette, DaviesBouldin: v.DaviesBouldin,
				CalinskiHarabasz: v.CalinskiHarabasz, ARI: c.Stability})
		}
		info, err := st.Version(ctx, latest.Run, name)
		if err != nil {
			return nil, err
		}
		if info != nil {
			s.Cluster.Projection, err = projection(info.Model)
			if err != nil {
				return nil, fmt.Errorf("reading version %d's model: %w", latest.Run, err)
			}
		}
	}
	return s, nil
}

// history turns the size rows into one entry per version, and orders the segment names: the latest
// version's largest first, then those only earlier versions had, by name.
func history(rows []store.SegmentSizes, latest []store.SegmentStat) ([]SizesAt, []string) {
	var out []SizesAt
	seen := map[string]bool{}
	var order []string
	for _, s := range latest {
		seen[s.Segment] = true
		order = append(order, s.Segment)
	}
	var gone []string
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].Run != r.Run {
			out = append(out, SizesAt{Version: Version{r.Run, r.AsOf}, Sizes: map[string]int64{}})
		}
		out[len(out)-1].Sizes[r.Segment] = r.Size
		if !seen[r.Segment] {
			seen[r.Segment] = true
			gone = append(gone, r.Segment)
		}
	}
	slices.Sort(gone)
	return out, append(order, gone...)
}

// liftTable is the version's lift per segment and numeric column: from its profile when it stored one,
// else, for a clustering, each cluster's mean over the mean of every clustered row.
func liftTable(rep *methods.Report, order []string) *LiftTable {
	if p := rep.Profiles; p != nil && len(p.Numbers) > 0 && len(p.Segments) > 0 {
		t := &LiftTable{Features: p.Numbers, Source: "the version's profile: each segment's mean over everyone's mean"}
		segments := slices.Clone(p.Segments)
		slices.SortStableFunc(segments, func(a, b methods.SegmentProfile) int {
			return cmp.Compare(rank(order, a.Segment), rank(order, b.Segment))
		})
		for _, s := range segments {
			row := make([]*float64, len(p.Numbers))
			for j, col := range p.Numbers {
				row[j] = s.Numbers[col].Lift
			}
			t.Segments, t.Lift = append(t.Segments, s.Segment), append(t.Lift, row)
		}
		return t
	}
	c := rep.Cluster
	if c == nil || len(c.Profiles) == 0 || len(c.Profiles[0].Means) == 0 {
		return nil
	}
	var features []string
	for f := range c.Profiles[0].Means {
		features = append(features, f)
	}
	slices.Sort(features)
	// The clustered rows' mean of a feature is the clusters' means weighted by their sizes.
	overall := make([]float64, len(features))
	var total float64
	for _, p := range c.Profiles {
		total += float64(p.Size)
		for j, f := range features {
			overall[j] += float64(p.Size) * p.Means[f]
		}
	}
	t := &LiftTable{Features: features, Source: "the clusters' means over the mean of every clustered row (the version stored no profile)"}
	profiles := slices.Clone(c.Profiles)
	slices.SortStableFunc(profiles, func(a, b methods.ClusterProfile) int {
		return cmp.Compare(rank(order, a.Segment), rank(order, b.Segment))
	})
	for _, p := range profiles {
		row := make([]*float64, len(features))
		for j, f := range features {
			if m, ok := p.Means[f]; ok && total > 0 && overall[j] != 0 {
				l := m / (overall[j] / total)
				row[j] = &l
			}
		}
		t.Segments, t.Lift = append(t.Segments, p.Segment), append(t.Lift, row)
	}
	return t
}

// projection reads the projection a clustering's model stored, naming each point's segment.
func projection(model store.Model) (*Projection, error) {
	m, ok, err := store.Decode[struct {
		Segments   map[int]string         `json:"segments"`
		Projection *algorithms.Projection `json:"projection"`
	}](model.Document)
	if err != nil || !ok || m.Projection == nil {
		return nil, err
	}
	p := m.Projection
	out := &Projection{Rows: p.Rows, ExplainedVarianceRatio: p.ExplainedVarianceRatio, X: p.X, Y: p.Y, Segment: make([]string, len(p.Label))}
	for i, l := range p.Label {
		name, ok := m.Segments[l]
		if !ok {
			name = "noise"
		}
		out.Segment[i] = name
	}
	return out, nil
}

// rank is name's place in order; names not in it come last.
func rank(order []string, name string) int {
	if i := slices.Index(order, name); i >= 0 {
		return i
	}
	return len(order)
}

// kpiSection arranges a segmentation's KPI rows (KPI by KPI, segment by segment, oldest version first)
// into one trend per KPI; nil without any.
func kpiSection(rows []store.KPIRow, order []string) *KPISection {
	if len(rows) == 0 {
		return nil
	}
	sec := &KPISection{}
	byName := map[string]*KPITrend{}
	for _, r := range rows {
		t := byName[r.KPI]
		if t == nil {
			t = &KPITrend{Name: r.KPI, Values: map[string][]*float64{}, Members: map[string]int64{}}
			byName[r.KPI] = t
			sec.KPIs = append(sec.KPIs, *t)
		}
		// The latest row's description and format: the spec may have changed them.
		t.Description, t.Format = r.Description, r.Format
		asOf, _ := time.Parse(time.DateOnly, r.AsOf)
		i := slices.IndexFunc(t.Versions, func(v Version) bool { return v.Run == r.RunID })
		if i < 0 {
			// Versions in run order: a KPI's rows come segment by segment, each oldest first.
			t.Versions = append(t.Versions, Version{Run: r.RunID, AsOf: asOf})
			slices.SortFunc(t.Versions, func(a, b Version) int { return cmp.Compare(a.Run, b.Run) })
		}
		if r.Segment != "" && !slices.Contains(t.Segments, r.Segment) {
			t.Segments = append(t.Segments, r.Segment)
		}
	}
	// Second pass, with every version known: the values in version order.
	for _, r := range rows {
		t := byName[r.KPI]
		if t.Values[r.Segment] == nil {
			t.Values[r.Segment] = make([]*float64, len(t.Versions))
		}
		i := slices.IndexFunc(t.Versions, func(v Version) bool { return v.Run == r.RunID })
		t.Values[r.Segment][i] = r.Value
		if i == len(t.Versions)-1 {
			t.Members[r.Segment] = r.Members
		}
	}
	for i := range sec.KPIs {
		t := byName[sec.KPIs[i].Name]
		slices.SortStableFunc(t.Segments, func(a, b string) int { return cmp.Compare(rank(order, a), rank(order, b)) })
		sec.KPIs[i] = *t
	}
	return sec
}
