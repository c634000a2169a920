package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/algorithms"
)

// Consensus members and the genetic search: the two cluster blocks that combine or search over several
// clusterings (docs/spec.md, "Consensus clustering" and "Searching for a segmentation").

// ClusterMember is one clustering a consensus combines. Seeds expands it into one member per seed;
// Features, a subset of the cluster's features, restricts it to those prepared columns.
type ClusterMember struct {
	Name     string         `yaml:"name"`
	Method   string         `yaml:"method"`
	K        int            `yaml:"k"`
	Seed     *uint64        `yaml:"seed"`
	Seeds    []uint64       `yaml:"seeds"`
	Features []string       `yaml:"features"`
	Params   map[string]any `yaml:"params"`
}

// ExpandedMember is a member with one seed, named: what the consensus fits.
type ExpandedMember struct {
	Name     string
	Method   string
	K        int
	Seed     uint64
	Features []string
	Params   map[string]any
}

// ExpandMembers lists the consensus's members one per seed, each named (its name:, else its position and
// method, with the seed when seeds: gave several). A member without seed or seeds uses the cluster's seed.
func (cl *Cluster) ExpandMembers() []ExpandedMember {
	var out []ExpandedMember
	for i, m := range cl.Members {
		base := m.Name
		if base == "" {
			base = fmt.Sprintf("%d_%s", i+1, m.Method)
		}
		seeds := m.Seeds
		if len(seeds) == 0 {
			seed := cl.Seed
			if m.Seed != nil {
				seed = *m.Seed
			}
			seeds = []uint64{seed}
		}
		for _, s := range seeds {
			name := base
			if len(m.Seeds) > 0 {
				name = fmt.Sprintf("%s_seed%d", base, s)
			}
			out = append(out, ExpandedMember{Name: name, Method: m.Method, K: m.K, Seed: s, Features: m.Features, Params: m.Params})
		}
	}
	return out
}

// ClusterSearch searches feature subsets, transforms, scalers, methods and k for the best segmentation by
// an objective, under constraints. Empty lists default to the cluster's own method and scale.
type ClusterSearch struct {
	Method       string          `yaml:"method"`
	Objective    SearchObjective `yaml:"objective"`
	Methods      []string        `yaml:"methods"`
	Scale        []string        `yaml:"scale"`
	Transforms   []string        `yaml:"transforms"`
	MinFeatures  int             `yaml:"min_features"`
	MinShare     float64         `yaml:"min_share"`
	MinStability float64         `yaml:"min_stability"`
	Population   int             `yaml:"population"`
	Generations  int             `yaml:"generations"`
	Sample       int             `yaml:"sample"`
	Top          int             `yaml:"top"`
}

// Defaults of a search block.
const (
	DefaultSearchPopulation  = 24
	DefaultSearchGenerations = 30
)

// clusterMixed checks a cluster's members and search blocks.
func (c *checker) clusterMixed(base string, cl *Cluster) {
	switch {
	case cl.Method == "consensus" && len(cl.Members) == 0 && !c.s.IsBroken(base+"/members"):
		c.errorAtKey(base, "cluster.members", "consensus needs members: the clusterings it combines (for example [{method: kmeans, seeds: [1, 2, 3]}, {method: gmm}, {method: hierarchical}])", "")
	case cl.Method != "consensus" && len(cl.Members) > 0:
		c.errorAtKey(base+"/members", "cluster.members", fmt.Sprintf("members are combined only by method: consensus, not %s", cl.Method), "")
	case len(cl.Members) > 0 && len(cl.ExpandMembers()) < 2:
		c.errorAtKey(base+"/members", "cluster.members", "a consensus needs at least two members (list several, or give one several seeds)", "")
	}
	if cl.Method == "consensus" {
		allowed := algorithms.ConsensusMemberMethods()
		names := map[string]bool{}
		for i, m := range cl.Members {
			at := fmt.Sprintf("%s/members/%d", base, i)
			if c.s.IsBroken(at) {
				continue
			}
			if c.s.IsBroken(at + "/method") { // the schema named the valid methods
			} else if !slices.Contains(allowed, m.Method) {
				sugg := Nearest(m.Method, allowed)
				c.errorAt(at+"/method", "cluster.members", fmt.Sprintf("a consensus member's method is one of %s, not %q%s", strings.Join(allowed, ", "), m.Method, didYouMean(sugg)), sugg)
			} else if err := algorithms.CheckParams(m.Method, m.Params); err != nil {
				p := at + "/params"
				if m.Params == nil {
					p = at
				}
				c.errorAt(p, "cluster.params", err.Error(), "")
			}
			if m.Seed != nil && len(m.Seeds) > 0 {
				c.errorAtKey(at+"/seeds", "cluster.members", "give seed or seeds, not both", "")
			}
			if len(m.Features) > 0 && cl.PCA != nil {
				c.errorAtKey(at+"/features", "cluster.members", "a member's features select prepared columns, which pca: replaces by components; drop pca or the member's features", "")
			}
			for j, f := range m.Features {
				if !slices.Contains(cl.Features, f) {
					sugg := Nearest(f, cl.Features)
					c.errorAt(fmt.Sprintf("%s/features/%d", at, j), "cluster.members", fmt.Sprintf("member feature %q is not one of the cluster's features%s", f, didYouMean(sugg)), sugg)
				}
			}
			if m.Name != "" {
				if names[m.Name] {
					c.errorAt(at+"/name", "cluster.members", fmt.Sprintf("member name %q is used twice", m.Name), "")
				}
				names[m.Name] = true
			}
		}
	}
	if cl.Search == nil || c.s.IsBroken(base+"/search") {
		return
	}
	s := cl.Search
	at := base + "/search"
	if cl.Method == "consensus" {
		c.errorAtKey(at, "cluster.search", "search: chooses among single methods; it cannot search a consensus", "")
	}
	if !cl.K.IsRange() && !c.s.IsBroken(base+"/k") {
		p := base + "/k"
		if !cl.K.IsSet() {
			p = base
		}
		c.errorAtKey(p, "cluster.search", "search: needs k as a range, {min, max}, to search k in", "")
	}
	if cl.K.By != "" {
		c.errorAtKey(base+"/k/by", "cluster.search", fmt.Sprintf("k.by is not used with search: the search's objective (%s) chooses k", searchObjective(s)), "")
	}
	for i, m := range s.Methods {
		f, err := algorithms.FitterFor(m)
		if c.s.IsBroken(fmt.Sprintf("%s/methods/%d", at, i)) { // the schema named the valid methods
			continue
		}
		if err != nil || f.FindsOwnK || m == "consensus" {
			c.errorAt(fmt.Sprintf("%s/methods/%d", at, i), "cluster.search", fmt.Sprintf("search: %s cannot be searched: it needs a method that takes k (%s)", m, strings.Join(algorithms.ConsensusMemberMethods(), ", ")), "")
		}
	}
	if len(s.Methods) == 0 && (cl.Method == "dbscan") {
		c.errorAtKey(at, "cluster.search", "search: dbscan finds its own k; list methods: to search (kmeans, gmm...)", "")
	}
	if s.MinFeatures > len(cl.Features) {
		c.errorAt(at+"/min_features", "cluster.search", fmt.Sprintf("min_features %d exceeds the %d candidate features", s.MinFeatures, len(cl.Features)), "")
	}
	if s.MinShare > 0 && cl.K.Min > 0 && s.MinShare*float64(cl.K.Min) > 1 {
		c.errorAt(at+"/min_share", "cluster.search", fmt.Sprintf("min_share %g cannot hold for k = %d or more clusters (they would need more than every row)", s.MinShare, cl.K.Min), "")
	}
}

func searchObjective(s *ClusterSearch) string {
	if o := s.Objective.String(); o != "" {
		return o
	}
	return "silhouette"
}
