package algorithms

import (
	"math"
	"slices"
	"strings"
	"testing"
)

type consensusGolden struct {
	K          int       `json:"k"`
	Members    []string  `json:"members"`
	Labelings  [][]int   `json:"labelings"`
	Consensus  []int     `json:"consensus"`
	MemberARIs []float64 `json:"member_ari_vs_consensus"`
}

// The consensus of the same member labelings is SciPy's: co-association distances, average linkage and
// cut_tree, computed independently by scripts/consensus_reference.py. The noisy case (12 members, k from 2
// to 7) is one where complete or weighted linkage would give another partition; the disagree case is all ties (two
// members split on x, two on y), so it also checks that ties resolve as SciPy resolves them.
func TestConsensusPartitionMatchesScipy(t *testing.T) {
	for _, name := range []string{"blobs", "noisy", "disagree"} {
		t.Run(name, func(t *testing.T) {
			var g consensusGolden
			readGolden(t, "consensus_"+name, &g)
			got, err := ConsensusPartition(g.Labelings, g.K)
			if err != nil {
				t.Fatal(err)
			}
			if ari := AdjustedRandIndex(got, g.Consensus); ari != 1 {
				t.Fatalf("consensus differs from scipy's: ARI %v", ari)
			}
			for i, l := range g.Labelings {
				if ari := AdjustedRandIndex(l, got); math.Abs(ari-g.MemberARIs[i]) > 1e-12 {
					t.Errorf("member %s: ARI %v against the consensus, scikit-learn says %v", g.Members[i], ari, g.MemberARIs[i])
				}
			}
		})
	}
}

func consensusMembersForTest() []ConsensusMember {
	return []ConsensusMember{
		{Name: "kmeans_1", Method: "kmeans", Seed: 1},
		{Name: "kmeans_2", Method: "kmeans", Seed: 2},
		{Name: "gmm", Method: "gmm", Seed: 1},
		{Name: "ward", Method: "hierarchical"},
		{Name: "kmeans_first_feature", Method: "kmeans", Seed: 3, Columns: []int{0, 1}},
	}
}

// On well-separated blobs the consensus recovers the generating groups, above and below the sample limit
// (above it, the unsampled rows join the nearest consensus centroid), and every member agrees.
func TestConsensusRecoversClearStructure(t *testing.T) {
	for _, n := range []int{600, 5000} {
		X := kmeansBlobsForTest(n, 3, 4, 0.6, 7)
		truth := make([]int, n)
		for i := range truth {
			truth[i] = i % 4
		}
		c, err := Cluster(X, ClusterSpec{Method: "consensus", K: 4, Seed: 1, Members: consensusMembersForTest()})
		if err != nil {
			t.Fatal(err)
		}
		if ari := AdjustedRandIndex(c.Labels, truth); ari < 0.999 {
			t.Errorf("n=%d: consensus ARI vs truth %v", n, ari)
		}
		if len(c.Report.Members) != 5 {
			t.Fatalf("member agreements: %+v", c.Report.Members)
		}
		for _, m := range c.Report.Members {
			if m.ARI < 0.95 { // the member on two of the three features misplaces a few border rows
				t.Errorf("n=%d: member %s ARI %v", n, m.Name, m.ARI)
			}
		}
		sampled := slices.ContainsFunc(c.Report.Notes, func(s string) bool { return strings.Contains(s, "seeded sample of 2000") })
		if sampled != (n > DefaultConsensusSampleLimit) {
			t.Errorf("n=%d: sample note %v: %v", n, sampled, c.Report.Notes)
		}
		pred, _, err := c.Model.Predict(X)
		if err != nil {
			t.Fatal(err)
		}
		if ari := AdjustedRandIndex(pred, c.Labels); ari < 0.999 {
			t.Errorf("n=%d: the stored model assigns differently: ARI %v", n, ari)
		}
	}
}

// gridForTest is four tight groups at the corners of a square, in row order (0,0), (0,1), (1,0), (1,1).
func gridForTest(perGroup int) *Matrix {
	X := kmeansBlobsForTest(4*perGroup, 2, 1, 0.2, 3) // noise around one centre, moved to the corners
	c := X.Row(0)
	c0, c1 := c[0], c[1]
	for i := 0; i < X.Rows; i++ {
		g := i / perGroup
		r := X.Row(i)
		r[0] += -c0 + 10*float64(g/2)
		r[1] += -c1 + 10*float64(g%2)
	}
	return X
}

// Members that disagree (one splits on x, one on y) yield the documented outcome: the consensus of k=4 is
// the four corners, which neither member found, and each member's low agreement is reported with a note
// that the members agree little; with k=2 the two splits tie exactly and the consensus is one of them.
func TestConsensusOfDisagreeingMembersIsReported(t *testing.T) {
	X := gridForTest(50)
	members := []ConsensusMember{
		{Name: "by_x", Method: "kmeans", K: 2, Seed: 1, Columns: []int{0}},
		{Name: "by_y", Method: "kmeans", K: 2, Seed: 1, Columns: []int{1}},
	}
	truth := make([]int, X.Rows)
	for i := range truth {
		truth[i] = i / 50
	}
	c, err := Cluster(X, ClusterSpec{Method: "consensus", K: 4, Seed: 1, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	if ari := AdjustedRandIndex(c.Labels, truth); ari != 1 {
		t.Errorf("k=4: the consensus of the two splits should be the four corners, ARI %v", ari)
	}
	if !slices.ContainsFunc(c.Report.Notes, func(s string) bool { return strings.Contains(s, "agree little") }) {
		t.Errorf("no note on the members' disagreement: %v (members %+v)", c.Report.Notes, c.Report.Members)
	}
	for _, m := range c.Report.Members {
		if m.ARI > 0.6 {
			t.Errorf("member %s reported to agree with the consensus, ARI %v", m.Name, m.ARI)
		}
	}
	c2, err := Cluster(X, ClusterSpec{Method: "consensus", K: 2, Seed: 1, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	a, b := c2.Report.Members[0].ARI, c2.Report.Members[1].ARI
	if !(a == 1 && math.Abs(b) < 0.05) && !(b == 1 && math.Abs(a) < 0.05) {
		t.Errorf("k=2: the consensus should be one member's split, ARIs %v, %v", a, b)
	}
}

func TestConsensusIsDeterministic(t *testing.T) {
	X := kmeansBlobsForTest(2500, 3, 5, 2.5, 11) // overlapping: members differ
	var first []int
	for _, workers := range []int{1, 2, 4} {
		c, err := Cluster(X, ClusterSpec{Method: "consensus", K: 5, Seed: 9, Workers: workers, Members: consensusMembersForTest()})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = c.Labels
		} else if !slices.Equal(first, c.Labels) {
			t.Fatalf("workers=%d: labels differ", workers)
		}
	}
}

func TestConsensusRejectsBadInput(t *testing.T) {
	X := kmeansBlobsForTest(50, 2, 2, 0.5, 1)
	if _, err := Cluster(X, ClusterSpec{Method: "consensus", K: 2, Members: consensusMembersForTest()[:1]}); err == nil {
		t.Error("one member accepted")
	}
	if _, err := Cluster(X, ClusterSpec{Method: "consensus", K: 2, Params: map[string]any{"sample_limt": 5}, Members: consensusMembersForTest()}); err == nil || !strings.Contains(err.Error(), "sample_limit") {
		t.Errorf("misspelt param: %v", err)
	}
	if _, err := ConsensusPartition([][]int{{0, 1}, {0}}, 1); err == nil {
		t.Error("ragged labelings accepted")
	}
}
