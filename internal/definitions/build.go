package definitions

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/internal/numfmt"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

// Source is what a document is built from: a validated spec (nil to document a store alone) and a store
// (nil when there is none: StoreNote then says why, and the document still gives every definition).
type Source struct {
	Validation *runner.Validation
	Store      *store.Store
	StorePath  string
	StoreNote  string
}

// Build builds the definition document.
func Build(ctx context.Context, src Source) (*Document, error) {
	d := &Document{StoreNote: src.StoreNote}
	var s *spec.Spec
	if src.Validation != nil {
		s = src.Validation.Spec
		d.Pipeline, d.Description, d.Owner, d.Spec = s.Name, s.Description, s.Owner, s.Doc.File
		for _, v := range src.Validation.Vars {
			if v.Name != runner.AsOfVar {
				d.Vars = append(d.Vars, Var{v.Name, varText(v.Value)})
			}
		}
	}
	if s == nil {
		d.SpecNote = "No spec given: the definitions are what the latest version stored (its rules, a clustering's explaining rules and centroids); descriptions, owners and action plans are the spec's."
	}
	h, err := readHistory(ctx, src.Store)
	if err != nil {
		return nil, err
	}
	if h != nil {
		d.Store = &StoreInfo{Path: src.StorePath, Versions: len(h.runs)}
		if latest := h.latest(); latest != nil {
			d.Store.LatestRun, d.Store.LatestAsOf = latest.ID, latest.AsOf
		}
		if d.Pipeline == "" {
			d.Pipeline = h.pipeline
		}
	}
	names, err := segmentationNames(ctx, s, h)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{}
	for _, v := range d.Vars {
		vars[v.Name] = v.Value
	}
	for _, name := range names {
		seg, err := buildSegmentation(ctx, src.Validation, h, name, vars)
		if err != nil {
			return nil, fmt.Errorf("segmentation %s: %w", name, err)
		}
		d.Segmentations = append(d.Segmentations, *seg)
	}
	return d, nil
}

// segmentationNames are the spec's segmentations in file order, or, from a store alone, its latest
// version's, without its audiences (which a spec's document has not either: they are no segmentation and
// their versions store no definition).
func segmentationNames(ctx context.Context, s *spec.Spec, h *history) ([]string, error) {
	if s != nil {
		return s.Segmentations.Keys(), nil
	}
	if h == nil || h.latest() == nil {
		return nil, nil
	}
	all, err := h.st.Segmentations(ctx, h.latest().ID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range all {
		v, err := h.st.Version(ctx, h.latest().ID, name)
		if err != nil {
			return nil, err
		}
		if v.Method != runner.AudienceMethod {
			names = append(names, name)
		}
	}
	return names, nil
}

func buildSegmentation(ctx context.Context, v *runner.Validation, h *history, name string, vars map[string]string) (*Segmentation, error) {
	out := &Segmentation{Name: name}
	versions, err := h.versionsOf(ctx, name)
	if err != nil {
		return nil, err
	}
	var latest *storedVersion
	if len(versions) > 0 {
		latest = &versions[len(versions)-1]
	}
	var seg *spec.Segmentation
	if v != nil {
		s, _ := v.Spec.Segmentations.Get(name)
		seg = &s
		out.Description, out.Owner, out.From = seg.Description, v.Spec.SegmentationOwner(seg), seg.From
		out.Method = methodLabel(seg)
		out.DefinitionHash = v.Plan.DefinitionHashes[name]
	} else if latest != nil {
		out.Method = latest.info.Method
	}
	// The segments: the spec's, in its order, then any the latest version has beside them.
	var order []string
	if seg != nil {
		order, _ = spec.DeclaredSegments(seg)
		for _, e := range seg.Segments {
			if !slices.Contains(order, e.Key) {
				order = append(order, e.Key)
			}
		}
	}
	var stats []store.SegmentStat
	if latest != nil {
		if stats, err = h.st.SegmentStats(ctx, latest.run.ID, name); err != nil {
			return nil, err
		}
		for _, st := range stats {
			if !slices.Contains(order, st.Segment) {
				order = append(order, st.Segment)
			}
		}
	}
	byName := map[string]*Segment{}
	for _, n := range order {
		sg := Segment{Name: n}
		if seg != nil {
			sg.Description, sg.Owner = seg.SegmentDescription(n), v.Spec.SegmentOwner(seg, n)
			if m, ok := seg.Segments.Get(n); ok && m.Action != nil {
				sg.Action = &Action{m.Action.Message, m.Action.Channel, m.Action.Offer}
			}
		}
		out.Segments = append(out.Segments, sg)
	}
	for i := range out.Segments {
		byName[out.Segments[i].Name] = &out.Segments[i]
	}
	for _, st := range stats {
		sg := byName[st.Segment]
		sg.Sized, sg.Size, sg.Share = true, st.Size, st.Share
		if seg == nil { // a store alone: the description the version stored
			sg.Description = st.Description
		}
	}
	var rep *runner.SegmentationReport
	if latest != nil {
		rep = latest.report
	}
	define(out, seg, rep, byName, vars)
	if rep != nil && rep.Profiles != nil {
		traits(rep.Profiles, byName)
	}
	if err := h.trend(ctx, out, versions); err != nil {
		return nil, err
	}
	definitionHistory(out, versions)
	if err := h.kpis(ctx, out); err != nil {
		return nil, err
	}
	if latest != nil && latest.report != nil && latest.report.DefinitionHash != "" && out.DefinitionHash != "" &&
		latest.report.DefinitionHash != out.DefinitionHash {
		out.Pending = fmt.Sprintf("The spec's definition differs from version %d's: the next run publishes the change.", latest.run.ID)
	}
	return out, nil
}

func methodLabel(seg *spec.Segmentation) string {
	switch m := seg.Method(); {
	case m == "rules" && seg.Multi:
		return "rules (multi)"
	case m == "cluster":
		return "cluster:" + seg.Cluster.Method
	default:
		return m
	}
}

// define fills in how the segmentation and each segment are assigned: from the spec where there is one,
// with what only a run knows (a clustering's explaining rules and centroids) from the latest version.
func define(out *Segmentation, seg *spec.Segmentation, rep *runner.SegmentationReport, byName map[string]*Segment, vars map[string]string) {
	method := out.Method
	if seg != nil {
		method = seg.Method()
	}
	switch {
	case seg != nil && method == "rfm":
		cfg := seg.RFM
		bins := cmp.Or(cfg.Bins, 5)
		out.Details = append(out.Details, fmt.Sprintf("Scores r_score, f_score, m_score from 1 to %d (%d is best) rank %s (recency: fewer days is better), %s and %s into quantile bins.",
			bins, bins, cfg.Recency, cfg.Frequency, cfg.Monetary))
		if len(seg.Rules) > 0 {
			ruleDefinitions(out, seg, byName, vars)
			out.Basis += " The rules read the scores."
			return
		}
		out.Basis = "The named RFM grid: each segment is a cell range of r_score against FM = ceil((f_score + m_score) / 2)."
		grid, err := algorithms.RFMGridFor(bins)
		if err != nil {
			return
		}
		for _, g := range grid {
			if sg := byName[g.Segment]; sg != nil {
				sg.Definition = append(sg.Definition, Line{Label: fmt.Sprintf("r_score %s, FM %s", scoreRange(g.RMin, g.RMax), scoreRange(g.FMMin, g.FMMax))},
					Line{"as a rule", g.Rule()})
			}
		}
	case seg != nil && (method == "rules"):
		ruleDefinitions(out, seg, byName, vars)
	case method == "cluster" || strings.HasPrefix(method, "cluster:"):
		clusterDefinitions(out, seg, rep, byName)
	case seg == nil && rep != nil && len(rep.Rules) > 0: // a store alone: the rules the version ran
		out.Basis = "The rules of the latest version, in order (from the store: no spec given)."
		for i, r := range rep.Rules {
			if sg := byName[r.Segment]; sg != nil {
				sg.Definition = append(sg.Definition, Line{fmt.Sprintf("rule %d", i+1), r.When})
			}
		}
	case method == "clv" && rep != nil && rep.CLV != nil:
		elseSegment := ""
		if seg != nil {
			elseSegment = seg.Else
		}
		clvDefinitions(out, rep.CLV, elseSegment, byName)
	default:
		out.Basis = fmt.Sprintf("Assigned by the %s method; its block in the spec defines it.", method)
	}
}

// clvDefinitions defines a clv segmentation's tiers by the predicted CLV each starts at in the latest
// version (a quantile's start moves with every run's predictions).
func clvDefinitions(out *Segmentation, c *methods.CLVReport, elseSegment string, byName map[string]*Segment) {
	out.Basis = fmt.Sprintf("Tiers of the predicted customer lifetime value over %d %ss (BG/NBD and Gamma-Gamma, fitted on the run's purchases): a customer is in the highest tier whose start their CLV reaches; the starts are the latest version's.",
		c.Horizon, c.Unit)
	for i, t := range c.Tiers {
		sg := byName[t.Segment]
		if sg == nil {
			continue
		}
		label := "predicted CLV from " + numfmt.Readable(t.From, 4)
		if t.Quantile != nil {
			label += fmt.Sprintf(" (quantile %g)", *t.Quantile)
		}
		code := "clv >= " + numfmt.Plain(t.From, 6) // six digits: the fit's last digits vary with the machine
		if i+1 < len(c.Tiers) {
			label += fmt.Sprintf(" to below %s, the start of %s", numfmt.Readable(c.Tiers[i+1].From, 4), c.Tiers[i+1].Segment)
			code += " && clv < " + numfmt.Plain(c.Tiers[i+1].From, 6)
		}
		sg.Definition = append(sg.Definition, Line{label, code})
	}
	if sg := byName[elseSegment]; sg != nil && len(c.Tiers) > 0 {
		sg.Definition = append(sg.Definition, Line{fmt.Sprintf("else: predicted CLV below %s, the start of %s", numfmt.Readable(c.Tiers[0].From, 4), c.Tiers[0].Segment),
			"clv < " + numfmt.Plain(c.Tiers[0].From, 6)})
	}
}

func scoreRange(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

var varRef = regexp.MustCompile(`\bvars\.([A-Za-z_][A-Za-z0-9_]*)`)

// ruleDefinitions gives each rule's segment its rule, as written and with the vars' values.
func ruleDefinitions(out *Segmentation, seg *spec.Segmentation, byName map[string]*Segment, vars map[string]string) {
	n := len(seg.Rules)
	if seg.Multi {
		out.Basis = "An entity is in every segment whose rule matches."
	} else {
		out.Basis = "The first matching rule wins: a segment has the entities its rule matches that no earlier rule took."
	}
	var earlier []string
	for i, r := range seg.Rules {
		sg := byName[r.Segment]
		if sg == nil {
			continue
		}
		sg.Definition = append(sg.Definition, Line{fmt.Sprintf("rule %d of %d", i+1, n), r.When})
		if resolved := varRef.ReplaceAllStringFunc(r.When, func(m string) string {
			if v, ok := vars[strings.TrimPrefix(m, "vars.")]; ok {
				return v
			}
			return m
		}); resolved != r.When {
			sg.Definition = append(sg.Definition, Line{"with the spec's vars", resolved})
		}
		if !seg.Multi && len(earlier) > 0 {
			sg.Definition = append(sg.Definition, Line{Label: "and no earlier rule matched (" + strings.Join(earlier, ", ") + ")"})
		}
		earlier = append(earlier, r.Segment)
	}
	if seg.Else != "" {
		if sg := byName[seg.Else]; sg != nil {
			sg.Definition = append(sg.Definition, Line{Label: "else: no rule matches"})
		}
	}
}

// clusterDefinitions describes a clustering from the spec and, for its segments, the latest version's
// explaining tree and centroids.
func clusterDefinitions(out *Segmentation, seg *spec.Segmentation, rep *runner.SegmentationReport, byName map[string]*Segment) {
	out.Basis = "Clusters of similar entities; each segment is described by the rules of a decision tree fitted to explain the clusters, and by its centroid (its members' means)."
	var features []string
	if seg != nil {
		cl := seg.Cluster
		features = cl.Features
		line := fmt.Sprintf("%s on %s", cl.Method, strings.Join(cl.Features, ", "))
		if len(cl.Transform) > 0 {
			var ts []string
			for _, t := range cl.Transform {
				var steps []string
				for _, st := range t.Value {
					steps = append(steps, transformText(st))
				}
				ts = append(ts, t.Key+": "+strings.Join(steps, " then "))
			}
			line += "; transforms " + strings.Join(ts, ", ")
		}
		line += "; scale " + cmp.Or(cl.Scale, "standard")
		switch {
		case cl.K.IsRange():
			line += fmt.Sprintf("; k from %d to %d by %s", cl.K.Min, cl.K.Max, cmp.Or(cl.K.By, "silhouette"))
		case cl.K.Value > 0:
			line += fmt.Sprintf("; k = %d", cl.K.Value)
		}
		line += fmt.Sprintf("; seed %d; refit %s.", cl.Seed, cmp.Or(cl.Refit, "always"))
		out.Details = append(out.Details, line)
	}
	if rep == nil || rep.Cluster == nil {
		out.Details = append(out.Details, "The explaining rules and centroids come from a run: none is stored yet.")
		return
	}
	c := rep.Cluster
	out.Details = append(out.Details, fmt.Sprintf("Latest fit: %s, k = %d; the explaining tree's rules predict %.1f%% of the entities' clusters.",
		c.Method, c.K, 100*c.Fidelity))
	for _, p := range c.Profiles {
		sg := byName[p.Segment]
		if sg == nil {
			continue
		}
		if p.Description != "" && (sg.Description == "" || sg.Description == p.Description) {
			sg.Description = "(generated from its centroid) " + p.Description
		}
		for _, r := range p.Rules {
			sg.Definition = append(sg.Definition, Line{fmt.Sprintf("explaining rule (%d entities, %.0f%% of them in this cluster)", r.Support, 100*r.Precision), r.Rule})
		}
		names := slices.Clone(features)
		var rest []string
		for k := range p.Means {
			if !slices.Contains(names, k) {
				rest = append(rest, k)
			}
		}
		slices.Sort(rest)
		for _, n := range append(names, rest...) {
			if m, ok := p.Means[n]; ok {
				sg.Profile = append(sg.Profile, Measure{n, m})
			}
		}
	}
}

// definitionHistory lists the versions where the definition was first published or changed. Consecutive
// versions are compared by their definition hash where both stored one, else by their runs' spec hash.
func definitionHistory(out *Segmentation, versions []storedVersion) {
	bySpec := false
	for i, v := range versions {
		hash, basis := v.run.SpecHash, "spec hash"
		if v.report != nil && v.report.DefinitionHash != "" {
			hash, basis = v.report.DefinitionHash, "definition hash"
		}
		change := DefinitionChange{Run: v.run.ID, AsOf: v.run.AsOf, Hash: hash, Basis: basis, First: i == 0}
		if i == 0 {
			out.History = append(out.History, change)
			continue
		}
		prev := versions[i-1]
		var changed bool
		if basis == "definition hash" && prev.report != nil && prev.report.DefinitionHash != "" {
			changed = prev.report.DefinitionHash != hash
		} else {
			bySpec = true
			changed = prev.run.SpecHash != v.run.SpecHash
		}
		if changed {
			out.History = append(out.History, change)
		}
	}
	if bySpec {
		out.HistoryNote = "Some versions stored no definition hash (written before segrun kept one): between them, a change is any change of the run's spec hash, which every edit of the spec file changes, metadata and other segmentations included."
	}
}

func varText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case string:
		return strconv.Quote(x)
	}
	return fmt.Sprint(v)
}

func transformText(t spec.TransformStep) string {
	if t.Kind == "clip" || t.Kind == "winsorize" {
		return fmt.Sprintf("%s to quantiles %g-%g", t.Kind, t.Lower, t.Upper)
	}
	return t.Kind
}

// traits gives each segment its profile: the mean of each numeric column and the most frequent value of
// each other one, with its lift against everyone.
func traits(p *methods.Profiles, byName map[string]*Segment) {
	for _, sp := range p.Segments {
		sg := byName[sp.Segment]
		if sg == nil {
			continue
		}
		for _, col := range p.Numbers {
			n, ok := sp.Numbers[col]
			if !ok || n.Mean == nil {
				continue
			}
			text := "mean " + number(*n.Mean)
			if n.Lift != nil {
				text += fmt.Sprintf(", %.2fx everyone's", *n.Lift)
			}
			sg.Traits = append(sg.Traits, Trait{col, text})
		}
		for _, col := range p.Texts {
			if vs := sp.Texts[col]; len(vs) > 0 {
				sg.Traits = append(sg.Traits, Trait{col, fmt.Sprintf("%s %s, %.2fx everyone's share", vs[0].Value, percent(vs[0].Share), vs[0].Lift)})
			}
		}
	}
}
