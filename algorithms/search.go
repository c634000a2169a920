package algorithms

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// A search scores candidate segmentations (a feature subset, an optional transform per feature, a
// scaler, a method and k) by an objective, under constraints: GeneticSearch (genetic_search.go) evolves
// them, ExhaustiveSearch (here) tries them all; search_evaluate.go fits and scores one. Each candidate is
// prepared and fitted on one seeded sample of the rows (SearchSpec.SampleLimit), so that hundreds of
// candidates stay cheap; the caller fits the best candidate on every row. Every candidate is evaluated
// once (a cache by its canonical key), and the evaluations are counted, so that the search can be compared
// with exhaustive enumeration of a small space.

// SearchSpec is the search space, the objective and constraints, and the evolution's size.
type SearchSpec struct {
	// Features are the candidate features, columns of the frame searched; MinFeatures is the fewest a
	// candidate uses (default 1).
	Features    []string
	MinFeatures int
	// Transforms are transforms a candidate may apply to each numeric feature (or not), beyond the ones
	// Base gives every candidate: for example log1p.
	Transforms []string
	// Base is the preprocessing every candidate shares: impute, and the spec's own transforms (onehot).
	Base PrepSpec
	// Scales and Methods are the scalers and clustering methods tried; KMin..KMax the numbers of clusters.
	Scales     []string
	Methods    []string
	KMin, KMax int
	// Params are method parameters by method name.
	Params map[string]map[string]any
	// Objective is silhouette (highest wins; on a seeded sample of EvalSampleLimit rows), davies_bouldin
	// (lowest) or calinski_harabasz (highest).
	Objective string
	// MinShare is the smallest share of rows a candidate's smallest cluster may hold; MinStability, when
	// above 0, the smallest adjusted Rand index between a candidate's clusters and the clusters of the same
	// candidate fitted on a bootstrap resample (assigned to the sample's rows by the resample's model).
	MinShare     float64
	MinStability float64
	// Population and Generations size the evolution.
	Population, Generations int
	Seed                    uint64
	// SampleLimit is the number of rows candidates are fitted on (default DefaultSearchSampleLimit);
	// EvalSampleLimit the rows silhouette is computed on (default DefaultSearchEvalSampleLimit).
	SampleLimit, EvalSampleLimit int
	// Workers evaluates candidates in parallel; results do not depend on it.
	Workers int
	// Top is how many of the best candidates the result lists (default 5).
	Top int
	// Scorer, when set, is the objective instead of a validity index: it scores a candidate's segments by
	// something outside the features (a KPI's spread across them), higher winning; Objective then only
	// names it.
	Scorer SegmentScorer
}

// SegmentScorer scores candidate segmentations of a search's sample by data the search does not hold
// (runner/methods/cluster's KPI objective reads a table through DuckDB). SampleRows is called once, before
// any candidate, with the input rows (indices into the searched frame) that make up the sample, in sample
// order; Score then gets a candidate's label for each sample row (NoSegment for a row it did not assign:
// dropped by impute) and may be called from several goroutines at once.
type SegmentScorer interface {
	SampleRows(rows []int) error
	Score(labels []int) (float64, error)
}

// NoSegment is a sample row's label when the candidate assigned it none.
const NoSegment = -1

// Defaults of a search's samples.
const (
	DefaultSearchSampleLimit     = 10000
	DefaultSearchEvalSampleLimit = 2000
)

// SearchObjectives are the objectives a search optimises.
var SearchObjectives = []string{"silhouette", "davies_bouldin", "calinski_harabasz"}

// Candidate is one segmentation a search tries.
type Candidate struct {
	Features []string `json:"features"`
	// Transforms maps a feature to the search transform applied to it (none when absent).
	Transforms map[string]string `json:"transforms,omitempty"`
	Scale      string            `json:"scale"`
	Method     string            `json:"method"`
	K          int               `json:"k"`
}

// Key is the candidate's canonical form: equal candidates have equal keys.
func (c Candidate) Key() string {
	var b strings.Builder
	for _, f := range c.Features {
		b.WriteString(f)
		if t := c.Transforms[f]; t != "" {
			b.WriteString(":" + t)
		}
		b.WriteByte(',')
	}
	fmt.Fprintf(&b, "|%s|%s|%d", c.Scale, c.Method, c.K)
	return b.String()
}

// ScoredCandidate is a candidate with its evaluation.
type ScoredCandidate struct {
	Candidate
	Objective float64 `json:"objective"`
	// Feasible says the candidate met every constraint; Reason says which it failed (or why it could not
	// be fitted).
	Feasible bool   `json:"feasible"`
	Reason   string `json:"reason,omitempty"`
	// Failed says the candidate could not be fitted or scored (Reason says why; Objective is 0, not a
	// score: a NaN would not survive JSON).
	Failed bool `json:"failed,omitempty"`
	// SmallestShare is the smallest cluster's share; Stability the bootstrap ARI (when asked for).
	SmallestShare float64  `json:"smallest_share"`
	Stability     *float64 `json:"stability,omitempty"`
}

// GenerationScore is the state of the search after one generation.
type GenerationScore struct {
	Generation int `json:"generation"`
	// Best is the best objective found so far; PopulationBest the best of this generation's population.
	Best           float64 `json:"best"`
	PopulationBest float64 `json:"population_best"`
	// Evaluations counts the distinct candidates evaluated so far.
	Evaluations int `json:"evaluations"`
}

// SearchResult is what a search found.
type SearchResult struct {
	Method      string            `json:"method"`
	Objective   string            `json:"objective"`
	Best        ScoredCandidate   `json:"best"`
	Top         []ScoredCandidate `json:"top"`
	Generations []GenerationScore `json:"generations,omitempty"`
	// Evaluations is the number of distinct candidates fitted; SpaceSize the number of candidates in the
	// space.
	Evaluations int     `json:"evaluations"`
	SpaceSize   float64 `json:"space_size"`
	// SampleRows is the number of rows candidates were fitted on.
	SampleRows int `json:"sample_rows"`
}

// searcher holds a search's fixed inputs and its cache.
type searcher struct {
	s       SearchSpec
	frame   *Frame // the sampled rows, candidate features only
	text    []bool // per feature: a text column (one-hot; never transformed by the search)
	evalSet []int  // silhouette's rows, within the sample
	cache   map[string]ScoredCandidate
	order   []string // keys in evaluation order
}

func (s *SearchSpec) validate(f *Frame) error {
	if s.Objective == "" && s.Scorer == nil {
		s.Objective = "silhouette"
	}
	if s.Scorer == nil {
		if err := chooseName("search objective", s.Objective, SearchObjectives); err != nil {
			return err
		}
	} else if slices.Contains(SearchObjectives, s.Objective) {
		return fmt.Errorf("search: objective %s is a validity index, but a scorer was given", s.Objective)
	}
	if len(s.Features) == 0 {
		return errors.New("search: no candidate features")
	}
	if s.MinFeatures < 1 {
		s.MinFeatures = 1
	}
	if s.MinFeatures > len(s.Features) {
		return fmt.Errorf("search: min_features %d exceeds the %d candidate features", s.MinFeatures, len(s.Features))
	}
	if len(s.Scales) == 0 {
		s.Scales = []string{ScaleStandard}
	}
	if len(s.Methods) == 0 {
		return errors.New("search: no methods")
	}
	for _, m := range s.Methods {
		fit, err := FitterFor(m)
		if err != nil {
			return err
		}
		if fit.FindsOwnK || m == "consensus" {
			return fmt.Errorf("search: method %s cannot be searched (it needs k, and no members)", m)
		}
	}
	if s.KMin < 2 || s.KMax < s.KMin {
		return fmt.Errorf("search: k must be a range with 2 <= min <= max, got %d..%d", s.KMin, s.KMax)
	}
	if s.Population < 2 || s.Generations < 1 {
		return errors.New("search: population must be at least 2 and generations at least 1")
	}
	if s.SampleLimit == 0 {
		s.SampleLimit = DefaultSearchSampleLimit
	}
	if s.EvalSampleLimit == 0 {
		s.EvalSampleLimit = DefaultSearchEvalSampleLimit
	}
	if s.Top == 0 {
		s.Top = 5
	}
	if f == nil || f.Len() == 0 {
		return ErrEmptyInput
	}
	return nil
}

func newSearcher(f *Frame, s SearchSpec) (*searcher, error) {
	if err := s.validate(f); err != nil {
		return nil, err
	}
	byName := map[string]Column{}
	for _, c := range f.Columns {
		byName[c.Name] = c
	}
	rows := seededRowSample(f.Len(), s.SampleLimit, s.Seed)
	sample := &Frame{}
	text := make([]bool, len(s.Features))
	for i, name := range s.Features {
		c, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("search: feature %s is not in the input", name)
		}
		sample.Columns = append(sample.Columns, sampleColumn(c, rows))
		text[i] = c.Text != nil
	}
	if s.Scorer != nil {
		if err := s.Scorer.SampleRows(rows); err != nil {
			return nil, err
		}
	}
	return &searcher{s: s, frame: sample, text: text, evalSet: seededRowSample(len(rows), s.EvalSampleLimit, s.Seed+1),
		cache: map[string]ScoredCandidate{}}, nil
}

// sampleColumn is c at the given rows.
func sampleColumn(c Column, rows []int) Column {
	out := Column{Name: c.Name}
	if c.Text != nil {
		out.Text = make([]string, len(rows))
		if c.Null != nil {
			out.Null = make([]bool, len(rows))
		}
		for i, r := range rows {
			out.Text[i] = c.Text[r]
			if c.Null != nil {
				out.Null[i] = c.Null[r]
			}
		}
		return out
	}
	out.Num = make([]float64, len(rows))
	for i, r := range rows {
		out.Num[i] = c.Num[r]
	}
	return out
}

// candidate decodes a genome.
func (sr *searcher) candidate(g genome) Candidate {
	c := Candidate{Scale: sr.s.Scales[g.scale], Method: sr.s.Methods[g.method], K: g.k}
	for i, f := range sr.s.Features {
		if !g.use[i] {
			continue
		}
		c.Features = append(c.Features, f)
		if g.transform[i] > 0 {
			if c.Transforms == nil {
				c.Transforms = map[string]string{}
			}
			c.Transforms[f] = sr.s.Transforms[g.transform[i]-1]
		}
	}
	return c
}

// PrepFor is the preprocessing of a candidate: the base spec's, the candidate's transforms after the
// base's own, and its scaler.
func (s SearchSpec) PrepFor(c Candidate) PrepSpec {
	ps := PrepSpec{Impute: s.Base.Impute, Scale: c.Scale, PCA: s.Base.PCA, Transform: map[string][]Transform{}}
	for _, f := range c.Features {
		ps.Transform[f] = append(ps.Transform[f], s.Base.Transform[f]...)
		if t := c.Transforms[f]; t != "" {
			ps.Transform[f] = append(ps.Transform[f], Transform{Kind: t})
		}
		if len(ps.Transform[f]) == 0 {
			delete(ps.Transform, f)
		}
	}
	return ps
}

// Subframe is f's columns named by features, in that order.
func Subframe(f *Frame, features []string) *Frame {
	out := &Frame{}
	for _, name := range features {
		for _, c := range f.Columns {
			if c.Name == name {
				out.Columns = append(out.Columns, c)
				break
			}
		}
	}
	return out
}

// better orders scored candidates: feasible first (of infeasible ones, those nearer the constraints), then
// the better objective, then fewer features, smaller
// k, and the key, so that the order is total and the best candidate does not depend on evaluation order.
func (s SearchSpec) better(a, b ScoredCandidate) bool {
	if a.Feasible != b.Feasible {
		return a.Feasible
	}
	an, bn := a.Failed, b.Failed
	if an != bn {
		return bn
	}
	if !a.Feasible && !an { // of two infeasible candidates, the one nearer to meeting the constraints
		if va, vb := s.violation(a), s.violation(b); va != vb {
			return va < vb
		}
	}
	if a.Objective != b.Objective && !an {
		if s.Objective == "davies_bouldin" {
			return a.Objective < b.Objective
		}
		return a.Objective > b.Objective
	}
	if len(a.Features) != len(b.Features) {
		return len(a.Features) < len(b.Features)
	}
	if a.K != b.K {
		return a.K < b.K
	}
	return a.Key() < b.Key()
}

// violation is how far a fitted candidate misses the constraints: the share its smallest cluster lacks
// plus the stability it lacks.
func (s SearchSpec) violation(c ScoredCandidate) float64 {
	v := max(0, s.MinShare-c.SmallestShare)
	if s.MinStability > 0 && c.Stability != nil {
		v += max(0, s.MinStability-*c.Stability)
	}
	return v
}

// evaluateAll evaluates the candidates not in the cache, in parallel, and returns every candidate's score.
func (sr *searcher) evaluateAll(cands []Candidate) []ScoredCandidate {
	var todo []Candidate
	seen := map[string]bool{}
	for _, c := range cands {
		k := c.Key()
		if _, ok := sr.cache[k]; !ok && !seen[k] {
			seen[k] = true
			todo = append(todo, c)
		}
	}
	scored := make([]ScoredCandidate, len(todo))
	parallelFor(len(todo), sr.s.Workers, func(_, i int) { scored[i] = sr.evaluate(todo[i]) })
	for i, c := range todo { // in the order of first appearance, whatever order they finished in
		sr.cache[c.Key()] = scored[i]
		sr.order = append(sr.order, c.Key())
	}
	out := make([]ScoredCandidate, len(cands))
	for i, c := range cands {
		out[i] = sr.cache[c.Key()]
	}
	return out
}

// result ranks every evaluated candidate.
func (sr *searcher) result(method string) *SearchResult {
	all := make([]ScoredCandidate, 0, len(sr.cache))
	for _, k := range sr.order {
		all = append(all, sr.cache[k])
	}
	sort.SliceStable(all, func(a, b int) bool { return sr.s.better(all[a], all[b]) })
	return &SearchResult{Method: method, Objective: sr.s.Objective, Best: all[0], Top: all[:min(sr.s.Top, len(all))],
		Evaluations: len(sr.cache), SpaceSize: sr.spaceSize(), SampleRows: sr.frame.Len()}
}

// spaceSize counts the candidates in the space: feature subsets of at least MinFeatures, each numeric
// feature with a choice of transform, times scales, methods and k.
func (sr *searcher) spaceSize() float64 {
	n := len(sr.s.Features)
	total := 0.0
	// Subsets by size, each numeric feature in a subset multiplying by 1+len(Transforms): with t text
	// features the count is a sum over subsets; the spaces are small enough to enumerate by bitmask only
	// when n is small, so count with a polynomial instead.
	poly := []float64{1} // poly[j]: weighted count of subsets of size j
	for i := 0; i < n; i++ {
		w := 1.0
		if !sr.text[i] {
			w += float64(len(sr.s.Transforms))
		}
		next := make([]float64, len(poly)+1)
		for j, v := range poly {
			next[j] += v
			next[j+1] += v * w
		}
		poly = next
	}
	for j := sr.s.MinFeatures; j < len(poly); j++ {
		total += poly[j]
	}
	return total * float64(len(sr.s.Scales)*len(sr.s.Methods)*(sr.s.KMax-sr.s.KMin+1))
}

// ExhaustiveSearch evaluates every candidate in the space: the reference a genetic search is tested
// against on small spaces. It refuses spaces above limit candidates.
func ExhaustiveSearch(f *Frame, s SearchSpec, limit int) (*SearchResult, error) {
	sr, err := newSearcher(f, s)
	if err != nil {
		return nil, err
	}
	if size := sr.spaceSize(); size > float64(limit) {
		return nil, fmt.Errorf("search: the space has %.0f candidates, more than %d to enumerate", size, limit)
	}
	s = sr.s
	n := len(s.Features)
	var cands []Candidate
	for mask := 1; mask < 1<<n; mask++ {
		g := genome{use: make([]bool, n), transform: make([]int, n)}
		var numeric []int
		used := 0
		for i := range g.use {
			g.use[i] = mask&(1<<i) != 0
			if g.use[i] {
				used++
				if !sr.text[i] {
					numeric = append(numeric, i)
				}
			}
		}
		if used < s.MinFeatures {
			continue
		}
		// Every assignment of transforms to the subset's numeric features.
		choices := len(s.Transforms) + 1
		combos := 1
		for range numeric {
			combos *= choices
		}
		for t := 0; t < combos; t++ {
			x := t
			for _, i := range numeric {
				g.transform[i] = x % choices
				x /= choices
			}
			for sc := range s.Scales {
				for m := range s.Methods {
					for k := s.KMin; k <= s.KMax; k++ {
						gg := genome{use: slices.Clone(g.use), transform: slices.Clone(g.transform), scale: sc, method: m, k: k}
						cands = append(cands, sr.candidate(gg))
					}
				}
			}
		}
	}
	sr.evaluateAll(cands)
	return sr.result("exhaustive"), nil
}
