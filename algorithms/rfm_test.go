package algorithms

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestRFMScoresHandComputed(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name                string
		recency, freq, mon  []float64
		bins                int
		wantR, wantF, wantM []int
	}{
		{
			// Distinct values: worse = position, score = 1 + floor(5·worse/10).
			name:    "distinct",
			recency: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			freq:    []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			mon:     []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
			bins:    5,
			wantR:   []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1},
			wantF:   []int{1, 1, 2, 2, 3, 3, 4, 4, 5, 5},
			wantM:   []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1},
		},
		{
			// 40% bought once: all get f 1, the next value starts at 1+floor(5·4/10) = 3, nobody has 2.
			// Recency mirrors it: the four customers seen today (0) have 6 strictly older customers, so
			// r = 1+floor(5·6/10) = 4 and nobody has r 5.
			name:    "heavy ties",
			recency: []float64{0, 0, 0, 0, 5, 6, 7, 8, 9, 10},
			freq:    []float64{1, 1, 1, 1, 2, 3, 4, 5, 6, 7},
			mon:     []float64{3, 3, 3, 3, 3, 3, 3, 3, 3, 100},
			bins:    5,
			wantR:   []int{4, 4, 4, 4, 3, 3, 2, 2, 1, 1},
			wantF:   []int{1, 1, 1, 1, 3, 3, 4, 4, 5, 5},
			wantM:   []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 5},
		},
		{
			name: "one customer", recency: []float64{3}, freq: []float64{1}, mon: []float64{9}, bins: 5,
			wantR: []int{1}, wantF: []int{1}, wantM: []int{1},
		},
		{
			name:    "all equal",
			recency: []float64{2, 2, 2}, freq: []float64{4, 4, 4}, mon: []float64{0, 0, 0}, bins: 10,
			wantR: []int{1, 1, 1}, wantF: []int{1, 1, 1}, wantM: []int{1, 1, 1},
		},
		{
			// Missing values score 0 and are left out of n: the others rank among 4 values.
			name:    "missing",
			recency: []float64{nan, 10, 20, 30, 40},
			freq:    []float64{1, nan, 2, 3, 4},
			mon:     []float64{nan, nan, nan, nan, nan},
			bins:    2,
			wantR:   []int{0, 2, 2, 1, 1},
			wantF:   []int{1, 0, 1, 2, 2},
			wantM:   []int{0, 0, 0, 0, 0},
		},
		{name: "empty", bins: 3, wantR: []int{}, wantF: []int{}, wantM: []int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, f, m, err := RFMScores(c.recency, c.freq, c.mon, c.bins)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, c.wantR) || !reflect.DeepEqual(f, c.wantF) || !reflect.DeepEqual(m, c.wantM) {
				t.Errorf("got r=%v f=%v m=%v\nwant r=%v f=%v m=%v", r, f, m, c.wantR, c.wantF, c.wantM)
			}
		})
	}
}

// TestRFMScoresProperties checks the rule on random data with ties against a direct O(n²) count.
func TestRFMScoresProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		n := 1 + rng.IntN(200)
		bins := 2 + rng.IntN(9)
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(1 + rng.IntN(30)))
		}
		r, f, _, err := RFMScores(x, x, x, bins)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x {
			below, above := 0, 0
			for _, w := range x {
				if w < v {
					below++
				}
				if w > v {
					above++
				}
			}
			if want := 1 + bins*below/n; f[i] != want {
				t.Fatalf("f score of %v = %d, want %d", v, f[i], want)
			}
			if want := 1 + bins*above/n; r[i] != want {
				t.Fatalf("r score of %v = %d, want %d", v, r[i], want)
			}
			if f[i] < 1 || f[i] > bins || r[i] < 1 || r[i] > bins {
				t.Fatalf("score out of 1..%d", bins)
			}
		}
	}
}

func TestRFMScoresErrors(t *testing.T) {
	one := []float64{1}
	for _, bins := range []int{-1, 0, 1, 11} {
		if _, _, _, err := RFMScores(one, one, one, bins); err == nil {
			t.Errorf("bins %d: no error", bins)
		}
	}
	if _, _, _, err := RFMScores(one, []float64{1, 2}, one, 5); err == nil {
		t.Error("length mismatch: no error")
	}
	_, _, _, err := RFMScores(one, one, []float64{math.Inf(1)}, 5)
	var de *DataError
	if !errors.As(err, &de) || de.Column != "monetary" || de.Count != 1 {
		t.Errorf("Inf: %v, want a DataError naming monetary", err)
	}
}

// rfmEval evaluates the restricted rule syntax Rule produces: clauses joined by " and ", each
// "<term> <op> <int>" with term r_score, f_score, m_score or "a + b" of them, op ==, >= or <=.
func rfmEval(t *testing.T, rule string, r, f, m int) bool {
	t.Helper()
	vars := map[string]int{"r_score": r, "f_score": f, "m_score": m}
	value := func(name string) int {
		v, ok := vars[name]
		if !ok {
			t.Fatalf("rule %q: unknown variable %q", rule, name)
		}
		return v
	}
	result := true
	for _, clause := range strings.Split(rule, " and ") {
		tok := strings.Fields(clause)
		var lhs int
		switch len(tok) {
		case 3:
			lhs = value(tok[0])
		case 5:
			if tok[1] != "+" {
				t.Fatalf("rule %q: clause %q", rule, clause)
			}
			lhs = value(tok[0]) + value(tok[2])
		default:
			t.Fatalf("rule %q: clause %q", rule, clause)
		}
		k, err := strconv.Atoi(tok[len(tok)-1])
		if err != nil {
			t.Fatalf("rule %q: %v", rule, err)
		}
		switch tok[len(tok)-2] {
		case "==":
			result = result && lhs == k
		case ">=":
			result = result && lhs >= k
		case "<=":
			result = result && lhs <= k
		default:
			t.Fatalf("rule %q: operator %q", rule, tok[len(tok)-2])
		}
	}
	return result
}

// TestRFMGridPartitions checks, for every bin count, that every (r, f, m) matches exactly one rule, and
// that the expr-lang strings agree with the data form.
func TestRFMGridPartitions(t *testing.T) {
	for bins := 2; bins <= 10; bins++ {
		grid, err := RFMGridFor(bins)
		if err != nil {
			t.Fatal(err)
		}
		used := map[string]bool{}
		for r := 1; r <= bins; r++ {
			for f := 1; f <= bins; f++ {
				for m := 1; m <= bins; m++ {
					matches := 0
					for _, s := range grid {
						in := s.Matches(r, f, m)
						if in != rfmEval(t, s.Rule(), r, f, m) {
							t.Fatalf("bins %d: %s: Rule %q disagrees with Matches at (%d,%d,%d)", bins, s.Segment, s.Rule(), r, f, m)
						}
						if in {
							matches++
							used[s.Segment] = true
						}
					}
					if matches != 1 {
						t.Fatalf("bins %d: (%d,%d,%d) matches %d segments", bins, r, f, m, matches)
					}
				}
			}
		}
		if len(used) != len(grid) {
			t.Errorf("bins %d: %d of %d segments reachable", bins, len(used), len(grid))
		}
		if bins == 5 && !reflect.DeepEqual(grid, RFMGrid) {
			t.Errorf("RFMGridFor(5) differs from RFMGrid")
		}
		if bins >= 5 && len(grid) != 11 {
			t.Errorf("bins %d: %d segments, want all 11", bins, len(grid))
		}
	}
	if _, err := RFMGridFor(1); err == nil {
		t.Error("RFMGridFor(1): no error")
	}
}

func TestRFMGridCells(t *testing.T) {
	cells := map[[3]int]string{
		{5, 5, 5}: "champions", {5, 4, 3}: "champions", {5, 1, 1}: "new_customers", {4, 1, 1}: "promising",
		{4, 5, 5}: "loyal", {3, 3, 3}: "need_attention", {3, 1, 2}: "about_to_sleep", {2, 3, 4}: "at_risk",
		{1, 5, 5}: "cannot_lose_them", {2, 1, 1}: "hibernating", {1, 1, 1}: "lost", {1, 2, 2}: "lost",
		{4, 2, 3}: "potential_loyalist",
	}
	for c, want := range cells {
		if got := RFMSegmentOf(RFMGrid, c[0], c[1], c[2]); got != want {
			t.Errorf("%v: %s, want %s", c, got, want)
		}
	}
	if got := RFMSegmentOf(RFMGrid, 0, 3, 3); got != "" {
		t.Errorf("missing r score matched %q", got)
	}
	if want := "r_score == 5 and f_score + m_score >= 7 and f_score + m_score <= 10"; RFMGrid[0].Rule() != want {
		t.Errorf("champions rule %q, want %q", RFMGrid[0].Rule(), want)
	}
}

func BenchmarkRFMScores(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(5, 6))
	rec, freq, mon := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		rec[i] = float64(rng.IntN(730))                  // days, heavily tied
		freq[i] = 1 + math.Floor(rng.ExpFloat64()*2)     // mostly 1-3 orders
		mon[i] = math.Round(rng.ExpFloat64()*8000) / 100 // cents
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := RFMScores(rec, freq, mon, 5); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleRFMGrid() {
	for _, s := range RFMGrid[:2] {
		fmt.Printf("%s: %s\n", s.Segment, s.Rule())
	}
	// Output:
	// champions: r_score == 5 and f_score + m_score >= 7 and f_score + m_score <= 10
	// loyal: r_score >= 3 and r_score <= 4 and f_score + m_score >= 7 and f_score + m_score <= 10
}
