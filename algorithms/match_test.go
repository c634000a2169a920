package algorithms

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteForceAssignment returns the minimal total cost over all assignments of min(rows, cols) pairs.
func bruteForceAssignment(cost [][]float64) float64 {
	rows, cols := len(cost), len(cost[0])
	best := math.Inf(1)
	usedCol := make([]bool, cols)
	var walk func(i, assigned int, total float64)
	walk = func(i, assigned int, total float64) {
		if i == rows {
			if assigned == min(rows, cols) {
				best = min(best, total)
			}
			return
		}
		// Leave row i unassigned only if there are more rows than columns.
		if rows-i-1 >= min(rows, cols)-assigned {
			walk(i+1, assigned, total)
		}
		for j := 0; j < cols; j++ {
			if !usedCol[j] {
				usedCol[j] = true
				walk(i+1, assigned+1, total+cost[i][j])
				usedCol[j] = false
			}
		}
	}
	walk(0, 0, 0)
	return best
}

func assignmentCost(cost [][]float64, assign []int) (float64, bool) {
	total := 0.0
	seen := map[int]bool{}
	pairs := 0
	for i, j := range assign {
		if j < 0 {
			continue
		}
		if seen[j] || j >= len(cost[i]) {
			return 0, false
		}
		seen[j] = true
		pairs++
		total += cost[i][j]
	}
	return total, pairs == min(len(cost), len(cost[0]))
}

func TestHungarianMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for trial := 0; trial < 2000; trial++ {
		rows, cols := 1+rng.IntN(6), 1+rng.IntN(6)
		cost := make([][]float64, rows)
		for i := range cost {
			cost[i] = make([]float64, cols)
			for j := range cost[i] {
				if trial%2 == 0 {
					cost[i][j] = float64(rng.IntN(4)) // many ties
				} else {
					cost[i][j] = rng.Float64()*10 - 3 // negative costs too
				}
			}
		}
		assign := Hungarian(cost)
		if len(assign) != rows {
			t.Fatalf("%d assignments for %d rows", len(assign), rows)
		}
		got, complete := assignmentCost(cost, assign)
		if !complete {
			t.Fatalf("cost %v: assignment %v is not a complete matching", cost, assign)
		}
		if want := bruteForceAssignment(cost); math.Abs(got-want) > 1e-9 {
			t.Fatalf("cost %v: Hungarian total %v, brute force %v", cost, got, want)
		}
	}
}

func TestHungarianEdgeCases(t *testing.T) {
	if got := Hungarian(nil); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := Hungarian([][]float64{{}, {}}); !slices.Equal(got, []int{-1, -1}) {
		t.Errorf("no columns: %v", got)
	}
	// Forbidden pairs (NaN, Inf, missing) are avoided when possible...
	cost := [][]float64{{math.Inf(1), 1}, {2, math.NaN()}}
	if got := Hungarian(cost); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("forbidden pairs: %v", got)
	}
	if got := Hungarian([][]float64{{5, 1, 9}, {3}}); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("ragged rows: %v", got)
	}
	// ...and used when not.
	if got := Hungarian([][]float64{{math.Inf(1)}}); !slices.Equal(got, []int{0}) {
		t.Errorf("only a forbidden pair: %v", got)
	}
	if got := Hungarian([][]float64{{1e308, 1e307}, {1e307, 1e308}}); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("huge costs: %v", got)
	}
}

func TestMatchClustersKeepsIDsAcrossRelabelling(t *testing.T) {
	// Three well-separated groups; the new fit numbers them differently from the previous version, whose
	// ids were 3, 7 and 9.
	X := matrixFromRows([][]float64{{0, 0}, {0, 1}, {10, 0}, {10, 1}, {0, 10}, {1, 10}})
	prev := []int{7, 7, 3, 3, 9, 9}
	labels := []int{2, 2, 0, 0, 1, 1}
	m := MatchClusters(X, labels, prev, PreviousClusters{})
	if !slices.Equal(m.IDs, []int{3, 9, 7}) || len(m.New) != 0 || len(m.Vanished) != 0 {
		t.Errorf("matching %+v", m)
	}

	// A cluster splits in two: the half nearer the old centroid keeps the id, the other gets a fresh one
	// above every previous id. New entities (prev -1) count for the new centroids only.
	X2 := matrixFromRows([][]float64{{0, 0}, {0, 1}, {10, 0}, {10, 1}, {0, 10}, {1, 10}, {20, 0}, {21, 0}})
	prev2 := []int{7, 7, 3, 3, 9, 9, -1, 3}
	labels2 := []int{0, 0, 1, 1, 2, 2, 3, 3}
	m = MatchClusters(X2, labels2, prev2, PreviousClusters{})
	if !slices.Equal(m.IDs, []int{7, 3, 9, 10}) || !slices.Equal(m.New, []int{10}) || len(m.Vanished) != 0 {
		t.Errorf("split: %+v", m)
	}

	// Two clusters merge: the merged one is nearer the bigger of the two, whose id it keeps; the other
	// previous id vanishes.
	X3 := matrixFromRows([][]float64{{0, 0}, {0, 1}, {1, 0}, {10, 0}, {10, 1}, {0, 10}, {1, 10}})
	prev3 := []int{7, 7, 7, 3, 3, 9, 9}
	labels3 := []int{0, 0, 0, 0, 0, 1, 1}
	m = MatchClusters(X3, labels3, prev3, PreviousClusters{})
	if !slices.Equal(m.IDs, []int{7, 9}) || !slices.Equal(m.Vanished, []int{3}) || len(m.New) != 0 {
		t.Errorf("merge: %+v", m)
	}
}

// A previous cluster whose every member left the input has no centroid to match, but it existed: it is
// reported as vanished, and its id is not given to a different cluster. Found by a review: the clusters
// were known only from the rows' labels, so the vanished cluster went unreported and the new cluster took
// its id, its name and, in the change log, its history.
func TestMatchClustersKnowsClustersWithoutRows(t *testing.T) {
	X := matrixFromRows([][]float64{{0, 0}, {0, 1}, {10, 0}, {10, 1}, {100, 0}, {100, 1}})
	prev := []int{0, 0, 1, 1, -1, -1} // cluster 2's members are gone; rows 4 and 5 are new customers
	labels := []int{0, 0, 1, 1, 2, 2}
	m := MatchClusters(X, labels, prev, PreviousClusters{IDs: []int{0, 1, 2}})
	if !slices.Equal(m.IDs, []int{0, 1, 3}) || !slices.Equal(m.New, []int{3}) || !slices.Equal(m.Vanished, []int{2}) {
		t.Errorf("vanished cluster 2: %+v", m)
	}
	// An id retired before the previous version (NextID past every previous id) is not given again either.
	m = MatchClusters(X, labels, prev, PreviousClusters{IDs: []int{0, 1}, NextID: 5})
	if !slices.Equal(m.IDs, []int{0, 1, 5}) || !slices.Equal(m.New, []int{5}) || len(m.Vanished) != 0 {
		t.Errorf("retired ids: %+v", m)
	}
}

func TestMatchClustersDegenerate(t *testing.T) {
	X := matrixFromRows([][]float64{{0}, {1}, {2}})
	// No previous version: every cluster is new, numbered from 0.
	m := MatchClusters(X, []int{1, 0, Noise}, []int{-1, -1, -1}, PreviousClusters{})
	if !slices.Equal(m.IDs, []int{0, 1}) || !slices.Equal(m.New, []int{0, 1}) || len(m.Vanished) != 0 {
		t.Errorf("no previous: %+v", m)
	}
	// No new clusters: every previous id vanished.
	m = MatchClusters(X, []int{Noise, Noise, Noise}, []int{0, 4, 4}, PreviousClusters{})
	if len(m.IDs) != 0 || !slices.Equal(m.Vanished, []int{0, 4}) {
		t.Errorf("all noise: %+v", m)
	}
	// A label with no rows (cluster 1) is not matched; it gets a fresh id.
	m = MatchClusters(X, []int{0, 2, 2}, []int{5, 6, 6}, PreviousClusters{})
	if !slices.Equal(m.IDs, []int{5, 7, 6}) || !slices.Equal(m.New, []int{7}) {
		t.Errorf("empty cluster: %+v", m)
	}
	// Mismatched lengths and a nil matrix do not panic.
	MatchClusters(X, []int{0, 1}, []int{0}, PreviousClusters{})
	MatchClusters(nil, []int{0, 1}, []int{0, 1}, PreviousClusters{})
	MatchClusters(NewMatrix(0, 0), nil, nil, PreviousClusters{})
}
