package algorithms

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// meanKPI is a test scorer: the KPI is the mean of a per-row outcome, computed per segment of the
// search's sample, and the objective its KPISpread.
type meanKPI struct {
	outcome []float64 // per input row
	rows    []int     // the sample's input rows
}

func (m *meanKPI) SampleRows(rows []int) error { m.rows = slices.Clone(rows); return nil }

func (m *meanKPI) Score(labels []int) (float64, error) {
	k := slices.Max(labels) + 1
	sum, n := make([]float64, k), make([]float64, k)
	for i, l := range labels {
		if l == NoSegment {
			continue
		}
		sum[l] += m.outcome[m.rows[i]]
		n[l]++
	}
	for s := range sum {
		sum[s] /= max(n[s], 1)
	}
	v, ok := KPISpread(sum, n)
	if !ok {
		return 0, errors.New("fewer than two segments with a value")
	}
	return v, nil
}

func TestKPISpreadIsTheMemberWeightedSD(t *testing.T) {
	// Segments of 1, 3 members at 0 and 4: mean 3, SD sqrt((1*9 + 3*1)/4) = sqrt(3).
	if v, ok := KPISpread([]float64{0, 4, math.NaN()}, []float64{1, 3, 10}); !ok || math.Abs(v-math.Sqrt(3)) > 1e-15 {
		t.Errorf("spread %v (%v), want sqrt(3)", v, ok)
	}
	if _, ok := KPISpread([]float64{2, math.Inf(1)}, []float64{5, 5}); ok {
		t.Error("one segment with a value has no spread")
	}
}

// The outcome follows the groups that features a and b separate (searchFrameForTest: rows i%3) and not the
// split c makes (i%2) nor the noise d, e. Searched by the outcome's spread, the best candidate clusters on
// a and/or b, scoring far above any candidate without them; the genetic search finds the exhaustive
// search's optimum, evaluating fewer candidates.
func TestSearchByKPISpreadPicksTheFeaturesThatSeparateIt(t *testing.T) {
	const n = 600
	f := searchFrameForTest(n, 5)
	outcome := make([]float64, n)
	for i := range outcome {
		outcome[i] = []float64{0, 1, 5}[i%3] + 0.1*float64(i%7)
	}
	spec := func() SearchSpec {
		s := smallSearchSpec()
		s.MinFeatures, s.KMin, s.KMax = 1, 2, 3
		s.Objective, s.Scorer = "kpi_spread(outcome)", &meanKPI{outcome: outcome}
		return s
	}
	full, err := ExhaustiveSearch(f, spec(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	best := full.Best
	if !best.Feasible || !slices.ContainsFunc(best.Features, func(x string) bool { return x == "a" || x == "b" }) {
		t.Fatalf("best by the outcome's spread: %+v; want a candidate on a or b", best)
	}
	// Every candidate without a or b separates the outcome far less.
	var without float64
	s := spec()
	sr, err := newSearcher(f, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, feats := range [][]string{{"c"}, {"c", "d"}, {"d", "e"}, {"c", "d", "e"}} {
		for k := 2; k <= 3; k++ {
			sc := sr.evaluate(Candidate{Features: feats, Scale: "standard", Method: "kmeans", K: k})
			without = max(without, sc.Objective)
		}
	}
	if !(best.Objective > 2*without) {
		t.Errorf("best spread %.4f, candidates without a or b up to %.4f: not separated", best.Objective, without)
	}
	s = spec()
	s.Population, s.Generations = 8, 6
	gen, err := GeneticSearch(f, s)
	if err != nil {
		t.Fatal(err)
	}
	if gen.Best.Key() != best.Key() || gen.Best.Objective != best.Objective {
		t.Errorf("genetic best %s (%.6f), exhaustive %s (%.6f)", gen.Best.Key(), gen.Best.Objective, best.Key(), best.Objective)
	}
	if gen.Evaluations >= full.Evaluations {
		t.Errorf("genetic search evaluated %d candidates, exhaustive %d", gen.Evaluations, full.Evaluations)
	}
	t.Logf("best %s spread %.4f; without a or b at most %.4f; genetic %d of %d evaluations", best.Key(), best.Objective, without, gen.Evaluations, full.Evaluations)
}
