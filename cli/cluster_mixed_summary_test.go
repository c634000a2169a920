package cli

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods"
)

// A search's summary says what the last generation and the hill climb found, lists infeasible candidates
// with their reason and stability, and prints the frozen block indented under its heading.
func TestMixedReportPrintsSearchAndMembers(t *testing.T) {
	stab := 0.42
	best := algorithms.ScoredCandidate{Candidate: algorithms.Candidate{Features: []string{"x", "y"}, Transforms: map[string]string{"y": "log1p"}, Scale: "robust", Method: "gmm", K: 3},
		Objective: 0.61, Feasible: true, SmallestShare: 0.2}
	bad := algorithms.ScoredCandidate{Candidate: algorithms.Candidate{Features: []string{"x"}, Scale: "standard", Method: "kmeans", K: 2},
		Objective: 0.7, Reason: "bootstrap stability 0.420 below min_stability 0.800", SmallestShare: 0.5, Stability: &stab}
	var out strings.Builder
	writeClusterReport(&out, &runner.ClusterReport{Method: "gmm", K: 3, Fitted: true,
		Fit: algorithms.ClusterReport{Members: []algorithms.MemberAgreement{{Name: "a", ARI: 1}, {Name: "b", ARI: 0.25}}},
		Search: &methods.SearchReport{Frozen: "cluster:\n  method: gmm\n  k: 3\n", SearchResult: algorithms.SearchResult{
			Method: "genetic", Objective: "silhouette", Best: best, Top: []algorithms.ScoredCandidate{best, bad},
			Generations: []algorithms.GenerationScore{{Generation: 1, Best: 0.5}, {Generation: 2, Best: 0.6}},
			Evaluations: 17, SpaceSize: 40, SampleRows: 1000}}})
	for _, want := range []string{
		"consensus of 2 members; their adjusted Rand index against it: a 1.000, b 0.250",
		"genetic search by silhouette: 17 of 40 candidates evaluated, each fitted on 1000 rows",
		"best silhouette by generation: 0.5 0.6; hill climbing from the best: 0.61",
		"1. silhouette 0.6100: gmm k=3, robust scaling, on x, y(log1p) (smallest cluster 20.0%)",
		"2. silhouette 0.7000: kmeans k=2, standard scaling, on x (smallest cluster 50.0%, stability 0.420, infeasible: bootstrap stability",
		"  the best, as a cluster block to freeze it:\n    cluster:\n      method: gmm\n      k: 3\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
