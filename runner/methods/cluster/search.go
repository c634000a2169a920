package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
)

// searchCluster runs the cluster block's search: (feature subset, transforms, scaler, method, k)
// candidates fitted on a seeded sample of the input, the best returned as a plain cluster block (no
// search) that the pipeline then fits on every row, like any clustering.
func searchCluster(j *job, frame *algorithms.Frame) (*spec.Cluster, *methods.SearchReport, error) {
	cl := j.seg.Cluster
	s := cl.Search
	base := prepSpec(cl)
	ss := algorithms.SearchSpec{
		Features: cl.Features, MinFeatures: s.MinFeatures, Transforms: s.Transforms,
		Base:   algorithms.PrepSpec{Impute: base.Impute, Transform: base.Transform, PCA: base.PCA},
		Scales: s.Scale, Methods: s.Methods, KMin: cl.K.Min, KMax: cl.K.Max,
		Objective: s.Objective.Name, MinShare: s.MinShare, MinStability: s.MinStability,
		Population: s.Population, Generations: s.Generations, Seed: cl.Seed,
		SampleLimit: s.Sample, Workers: j.env.Threads(), Top: s.Top,
	}
	if len(ss.Scales) == 0 {
		ss.Scales = []string{cmp(cl.Scale, algorithms.ScaleStandard)}
	}
	if len(ss.Methods) == 0 {
		ss.Methods = []string{cl.Method}
	}
	if ss.Population == 0 {
		ss.Population = spec.DefaultSearchPopulation
	}
	if ss.Generations == 0 {
		ss.Generations = spec.DefaultSearchGenerations
	}
	if cl.Params != nil { // the block's params apply to its own method when searched
		ss.Params = map[string]map[string]any{cl.Method: cl.Params}
	}
	if s.Objective.KPI != "" {
		scorer, err := newKPIScorer(j, s.Objective.KPI)
		if err != nil {
			return nil, nil, err
		}
		defer scorer.drop()
		ss.Objective, ss.Scorer = s.Objective.String(), scorer
	}
	var res *algorithms.SearchResult
	var err error
	if s.Method == "exhaustive" {
		res, err = algorithms.ExhaustiveSearch(frame, ss, maxExhaustive)
	} else {
		res, err = algorithms.GeneticSearch(frame, ss)
	}
	if err != nil {
		return nil, nil, err
	}
	if !res.Best.Feasible {
		return nil, nil, fmt.Errorf("search: no candidate met the constraints after %d evaluations; the best, %s, failed: %s",
			res.Evaluations, describeCandidate(res.Best.Candidate), res.Best.Reason)
	}
	best := bestCluster(cl, res.Best.Candidate)
	return best, &methods.SearchReport{SearchResult: *res, Frozen: frozenYAML(best)}, nil
}

// maxExhaustive bounds an exhaustive search's space.
const maxExhaustive = 20000

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// bestCluster is the cluster block the candidate stands for: the block's own settings (impute, pca,
// seed, params, names, refit) with the candidate's features, transforms, scale, method and k.
func bestCluster(cl *spec.Cluster, c algorithms.Candidate) *spec.Cluster {
	b := *cl
	b.Search, b.Members = nil, nil
	b.Method, b.Features, b.Scale, b.K = c.Method, c.Features, c.Scale, spec.K{Value: c.K}
	if c.Method != cl.Method {
		b.Params = nil
	}
	b.Transform = nil
	for _, f := range c.Features {
		var steps spec.TransformSteps
		for _, t := range cl.Transform {
			if t.Key == f {
				steps = append(steps, t.Value...)
			}
		}
		if t := c.Transforms[f]; t != "" {
			step := spec.TransformStep{Kind: t}
			if t == "winsorize" {
				step.Lower, step.Upper = spec.DefaultWinsorize, 1-spec.DefaultWinsorize
			}
			steps = append(steps, step)
		}
		if len(steps) > 0 {
			b.Transform = append(b.Transform, spec.Entry[spec.TransformSteps]{Key: f, Value: steps})
		}
	}
	return &b
}

func describeCandidate(c algorithms.Candidate) string {
	return fmt.Sprintf("%s k=%d on %s, %s scaling", c.Method, c.K, strings.Join(c.Features, ", "), c.Scale)
}

// frozenYAML writes the best candidate as the cluster block that reproduces it without searching, for a
// team to paste into the spec and freeze.
func frozenYAML(b *spec.Cluster) string {
	var w strings.Builder
	w.WriteString("cluster:\n")
	fmt.Fprintf(&w, "  method: %s\n", b.Method)
	fmt.Fprintf(&w, "  features: [%s]\n", strings.Join(b.Features, ", "))
	if b.Impute != "" {
		fmt.Fprintf(&w, "  impute: %s\n", b.Impute)
	}
	if len(b.Transform) > 0 {
		var parts []string
		for _, t := range b.Transform {
			var steps []string
			for _, s := range t.Value {
				steps = append(steps, stepYAML(s))
			}
			v := strings.Join(steps, ", ")
			if len(steps) > 1 {
				v = "[" + v + "]"
			}
			parts = append(parts, t.Key+": "+v)
		}
		fmt.Fprintf(&w, "  transform: {%s}\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&w, "  scale: %s\n", b.Scale)
	if b.PCA != nil {
		if b.PCA.Components > 0 {
			fmt.Fprintf(&w, "  pca: {components: %d}\n", b.PCA.Components)
		} else {
			fmt.Fprintf(&w, "  pca: {variance: %s}\n", strconv.FormatFloat(b.PCA.Variance, 'g', -1, 64))
		}
	}
	fmt.Fprintf(&w, "  k: %d\n", b.K.Value)
	fmt.Fprintf(&w, "  seed: %d\n", b.Seed)
	if len(b.Params) > 0 {
		var parts []string
		for _, k := range slices.Sorted(mapsKeys(b.Params)) {
			parts = append(parts, fmt.Sprintf("%s: %v", k, b.Params[k]))
		}
		fmt.Fprintf(&w, "  params: {%s}\n", strings.Join(parts, ", "))
	}
	if b.Refit != "" {
		fmt.Fprintf(&w, "  refit: %s\n", b.Refit)
	}
	return w.String()
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// stepYAML writes one transform step as the spec spells it.
func stepYAML(s spec.TransformStep) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch s.Kind {
	case "winsorize":
		if s.Lower == spec.DefaultWinsorize {
			return "winsorize"
		}
		return "{winsorize: " + f(s.Lower) + "}"
	case "clip":
		return "{clip: [" + f(s.Lower) + ", " + f(s.Upper) + "]}"
	}
	return s.Kind
}

// consensusMembers translates the spec's members for the algorithms package: each member's features
// become the prepared columns they produced (a one-hot feature's every category column).
func consensusMembers(cl *spec.Cluster, prepared []string) []algorithms.ConsensusMember {
	var out []algorithms.ConsensusMember
	for _, m := range cl.ExpandMembers() {
		cm := algorithms.ConsensusMember{Name: m.Name, Method: m.Method, K: m.K, Seed: m.Seed, Params: m.Params}
		for j, p := range prepared { // in the prepared order, whatever order the member lists them in
			if slices.ContainsFunc(m.Features, func(f string) bool { return p == f || strings.HasPrefix(p, f+"=") }) {
				cm.Columns = append(cm.Columns, j)
			}
		}
		out = append(out, cm)
	}
	return out
}
