package cluster

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/spec"
)

// The block printed to freeze a search's best candidate reads back as the very cluster spec that was
// fitted: the same model spec (method, features, transforms, scale, k, seed, params).
func TestFrozenYAMLReadsBackAsTheBestCluster(t *testing.T) {
	cl := &spec.Cluster{
		Method: "kmeans", Features: []string{"recency_days", "frequency", "monetary", "country"},
		Impute: "median", Seed: 7, Refit: "never", Params: map[string]any{"n_init": 3},
		Transform: spec.Map[spec.TransformSteps]{
			{Key: "monetary", Value: spec.TransformSteps{{Kind: "clip", Lower: 0.01, Upper: 0.99}}},
			{Key: "country", Value: spec.TransformSteps{{Kind: "onehot"}}},
		},
		K:      spec.K{Min: 2, Max: 6},
		Search: &spec.ClusterSearch{Method: "genetic"},
	}
	for _, c := range []algorithms.Candidate{
		{Features: []string{"frequency", "monetary", "country"}, Transforms: map[string]string{"frequency": "log1p", "monetary": "winsorize"}, Scale: "robust", Method: "kmeans", K: 4},
		{Features: []string{"recency_days", "monetary"}, Scale: "standard", Method: "gmm", K: 2},
	} {
		best := bestCluster(cl, c)
		text := frozenYAML(best)
		var back struct {
			Cluster spec.Cluster `yaml:"cluster"`
		}
		if err := yaml.Unmarshal([]byte(text), &back); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		if got, want := modelSpec(&back.Cluster), modelSpec(best); got != want {
			t.Errorf("frozen block reads back as\n%s\nwant\n%s\n(yaml:\n%s)", got, want, text)
		}
		if best.Search != nil || best.K.IsRange() {
			t.Errorf("the best is still a search: %+v", best)
		}
	}
}

// A member's features become every prepared column they produced, one-hot categories included.
func TestConsensusMembersMapFeaturesToPreparedColumns(t *testing.T) {
	cl := &spec.Cluster{Seed: 5, Members: []spec.ClusterMember{
		{Method: "kmeans", Seeds: []uint64{1, 2}},
		{Name: "geo", Method: "gmm", Features: []string{"country", "monetary"}},
	}}
	got := consensusMembers(cl, []string{"monetary", "country=BE", "country=NL", "frequency"})
	if len(got) != 3 || got[0].Name != "1_kmeans_seed1" || got[1].Seed != 2 || got[2].Seed != 5 {
		t.Fatalf("members %+v", got)
	}
	if cols := got[2].Columns; len(cols) != 3 || cols[0] != 0 || cols[1] != 1 || cols[2] != 2 {
		t.Errorf("geo member columns %v, want [0 1 2]", cols)
	}
	if got[0].Columns != nil {
		t.Errorf("a member without features sees every column, got %v", got[0].Columns)
	}
}
