package algorithms

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// searchFrameForTest has five features: a and b hold three well-separated groups, c splits the rows in two
// more weakly, d and e are noise.
func searchFrameForTest(n int, seed uint64) *Frame {
	rng := rand.New(rand.NewPCG(seed, 1))
	cols := make([][]float64, 5)
	for j := range cols {
		cols[j] = make([]float64, n)
	}
	centres := [][2]float64{{0, 0}, {6, 0}, {3, 5}}
	for i := 0; i < n; i++ {
		g := centres[i%3]
		cols[0][i] = g[0] + 0.7*rng.NormFloat64()
		cols[1][i] = g[1] + 0.7*rng.NormFloat64()
		cols[2][i] = float64(i%2)*3 + rng.NormFloat64()
		cols[3][i] = rng.NormFloat64()
		cols[4][i] = rng.ExpFloat64() * 10
	}
	f := &Frame{}
	for j, name := range []string{"a", "b", "c", "d", "e"} {
		f.Columns = append(f.Columns, Column{Name: name, Num: cols[j]})
	}
	return f
}

func smallSearchSpec() SearchSpec {
	return SearchSpec{
		Features: []string{"a", "b", "c", "d", "e"}, MinFeatures: 2,
		Scales: []string{"standard", "robust"}, Methods: []string{"kmeans"}, KMin: 2, KMax: 5,
		Objective: "silhouette", MinShare: 0.05, Population: 12, Generations: 10, Seed: 3, Workers: 2,
	}
}

// On a space small enough to enumerate (26 feature subsets x 2 scalers x 4 values of k = 208 candidates),
// the genetic search finds exhaustive search's optimum, evaluating fewer candidates.
func TestGeneticSearchFindsTheExhaustiveOptimum(t *testing.T) {
	f := searchFrameForTest(600, 5)
	s := smallSearchSpec()
	full, err := ExhaustiveSearch(f, s, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if full.Evaluations != 208 || full.SpaceSize != 208 {
		t.Fatalf("exhaustive search evaluated %d of %v candidates, want 208", full.Evaluations, full.SpaceSize)
	}
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		s.Seed = seed
		full, err := ExhaustiveSearch(f, s, 1000)
		if err != nil {
			t.Fatal(err)
		}
		ga, err := GeneticSearch(f, s)
		if err != nil {
			t.Fatal(err)
		}
		if ga.Best.Key() != full.Best.Key() || ga.Best.Objective != full.Best.Objective {
			t.Errorf("seed %d: genetic best %s (%v), exhaustive %s (%v)", seed, ga.Best.Key(), ga.Best.Objective, full.Best.Key(), full.Best.Objective)
		}
		if ga.Evaluations >= full.Evaluations {
			t.Errorf("seed %d: genetic search evaluated %d candidates, exhaustive %d", seed, ga.Evaluations, full.Evaluations)
		}
		if len(ga.Generations) != s.Generations {
			t.Errorf("seed %d: %d generations reported", seed, len(ga.Generations))
		}
		for i := 1; i < len(ga.Generations); i++ {
			if ga.Generations[i].Best < ga.Generations[i-1].Best {
				t.Errorf("seed %d: the best so far got worse at generation %d", seed, i+1)
			}
		}
		t.Logf("seed %d: best %s silhouette %.4f after %d evaluations (exhaustive: %d)", seed, ga.Best.Key(), ga.Best.Objective, ga.Evaluations, full.Evaluations)
	}
}

// The same seed gives the same search, whatever the number of workers or GOMAXPROCS.
func TestGeneticSearchIsReproducible(t *testing.T) {
	f := searchFrameForTest(600, 9)
	s := smallSearchSpec()
	s.Methods = []string{"kmeans", "gmm"}
	s.Transforms = []string{"log1p"}
	s.Population, s.Generations = 8, 4
	var first *SearchResult
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, workers := range []int{1, 3, 8, -1, -4} {
		s.Workers = workers
		if workers < 0 { // Workers 0 follows GOMAXPROCS
			runtime.GOMAXPROCS(-workers)
			s.Workers = 0
		}
		r, err := GeneticSearch(f, s)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = r
		} else if !reflect.DeepEqual(first, r) {
			t.Fatalf("workers=%d: a different result", workers)
		}
	}
}

// Constraints make candidates infeasible with a reason, and an infeasible candidate never beats a
// feasible one; a transform that cannot apply (log1p of values <= -1) makes its candidate infeasible, not
// the search fail.
func TestGeneticSearchConstraints(t *testing.T) {
	f := searchFrameForTest(600, 2)
	s := smallSearchSpec()
	s.Transforms = []string{"log1p"} // b and d have values below -1
	s.MinShare = 0.3                 // only k <= 3 can hold
	s.MinStability = 0.8
	s.Top = 10000
	r, err := ExhaustiveSearch(f, s, 10000)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, c := range r.Top {
		if c.Failed {
			failed++
		}
	}
	if failed == 0 {
		t.Error("no candidate failed, though log1p cannot apply to b or d")
	}
	if _, err := json.Marshal(r); err != nil { // the result is stored in the version's summary
		t.Errorf("the result does not serialise: %v", err)
	}
	r.Top = r.Top[:5]
	if !r.Best.Feasible || r.Best.K > 3 || r.Best.Stability == nil || *r.Best.Stability < 0.8 {
		t.Errorf("best %+v", r.Best)
	}
	infeasible := 0
	for _, c := range r.Top {
		if !c.Feasible {
			infeasible++
		}
	}
	if infeasible > 0 {
		t.Errorf("an infeasible candidate is in the top: %+v", r.Top)
	}
	s.MinShare = 0.6 // impossible for k >= 2
	s.Top = 10000    // every candidate evaluated
	r, err = GeneticSearch(f, s)
	if err != nil {
		t.Fatal(err)
	}
	if r.Best.Feasible || r.Best.Reason == "" {
		t.Errorf("an impossible constraint: best %+v", r.Best)
	}
	for _, c := range r.Top { // the best infeasible candidate is the one nearest to the constraint
		if c.SmallestShare > r.Best.SmallestShare {
			t.Errorf("best infeasible candidate's smallest share %v, but %s has %v", r.Best.SmallestShare, c.Key(), c.SmallestShare)
		}
	}
}
