package runner

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"

	"github.com/segrun/segrun/spec"
)

// A segmentation's definition hash identifies what decides its memberships, where the spec hash
// identifies the whole file: an edit to one segmentation's rules, or to the SQL of a feature it reads,
// changes its definition hash and no other segmentation's; a description, an owner, an action plan, a
// comment or an unrelated step changes none. Each version stores it in its summary (definition_hash), and
// segrun docs lists the runs where it changed.

var (
	ruleVar = regexp.MustCompile(`\bvars\.([A-Za-z_][A-Za-z0-9_]*)`)
	sqlVar  = regexp.MustCompile(`(?i)getvariable\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\)`)
)

// definitionHashes computes every segmentation's definition hash from the spec and its plan.
func definitionHashes(s *spec.Spec, p *Plan) map[string]string {
	out := map[string]string{}
	for _, name := range s.Segmentations.Keys() {
		if p.step(name) == nil {
			continue
		}
		if h, ok := DefinitionHash(s, p, name); ok {
			out[name] = h
		}
	}
	return out
}

// DefinitionHash is segmentation's definition hash: its definition (spec.DefinitionJSON), then every step
// it reads, directly or not, in name order: a feature's SQL as the plan runs it, another segmentation's
// definition, a source's name (its data is not its definition); then the spec's default of every var the
// rules and SQL read (a --var override is the run's, recorded in its vars).
func DefinitionHash(s *spec.Spec, p *Plan, segmentation string) (string, bool) {
	type part struct {
		Kind, Name string
		Text       string `json:",omitempty"`
	}
	var parts []part
	var texts []string
	seen := map[string]bool{}
	var visit func(name string) bool
	visit = func(name string) bool {
		if seen[name] {
			return true
		}
		seen[name] = true
		st := p.step(name)
		if st == nil {
			return false
		}
		pt := part{Kind: st.Kind, Name: name}
		switch st.Kind {
		case KindFeature:
			pt.Text = st.SQL.SQL
		case KindSegmentation:
			def, err := s.DefinitionJSON(name)
			if err != nil {
				return false
			}
			pt.Text = string(def)
		}
		parts = append(parts, pt)
		texts = append(texts, pt.Text)
		if st.Kind == KindSource {
			return true // its inputs are its files
		}
		for _, in := range st.Inputs {
			if !visit(in) {
				return false
			}
		}
		return true
	}
	if !visit(segmentation) {
		return "", false
	}
	// A search by a KPI's spread picks its segmentation by the KPI's aggregate: part of its definition.
	if seg, ok := s.Segmentations.Get(segmentation); ok && seg.Cluster != nil && seg.Cluster.Search != nil && seg.Cluster.Search.Objective.KPI != "" {
		name := seg.Cluster.Search.Objective.KPI
		if k, ok := s.KPIs.Get(name); ok {
			parts = append(parts, part{Kind: KindKPI, Name: name, Text: k.Value})
			texts = append(texts, k.Value)
		}
	}
	// parts[0] is the segmentation's own definition; what it reads follows in name order.
	slices.SortFunc(parts[1:], func(a, b part) int { return cmp.Compare(a.Name, b.Name) })
	vars := map[string]json.RawMessage{}
	for _, t := range texts {
		for _, re := range []*regexp.Regexp{ruleVar, sqlVar} {
			for _, m := range re.FindAllStringSubmatch(t, -1) {
				if v, ok := s.Vars.Get(m[1]); ok {
					b, _ := json.Marshal(v)
					vars[m[1]] = b
				}
			}
		}
	}
	b, err := json.Marshal(struct {
		Steps []part
		Vars  map[string]json.RawMessage
	}{parts, vars})
	if err != nil {
		return "", false
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), true
}
