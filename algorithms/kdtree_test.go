package algorithms

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// randomTestMatrix returns n random rows of dim columns; with duplicates, a third of the rows repeat earlier
// ones and values are rounded to a coarse grid, so ties and zero-width boxes occur.
func randomTestMatrix(rng *rand.Rand, n, dim int, duplicates bool) *Matrix {
	X := NewMatrix(n, dim)
	for i := 0; i < n; i++ {
		row := X.Row(i)
		if duplicates && i > 0 && rng.IntN(3) == 0 {
			copy(row, X.Row(rng.IntN(i)))
			continue
		}
		for j := range row {
			row[j] = rng.NormFloat64()
			if duplicates {
				row[j] = float64(int(row[j]*4)) / 4
			}
		}
	}
	return X
}

// bruteWithin lists the rows within squared distance r2 of q, the reference the tree must reproduce.
func bruteWithin(X *Matrix, q []float64, r2 float64) []int {
	var out []int
	for i := 0; i < X.Rows; i++ {
		if sumSqDiff(q, X.Row(i)) <= r2 {
			out = append(out, i)
		}
	}
	return out
}

func TestKDTreeQueriesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n, dim, leaf int
		duplicates   bool
	}{
		{1, 2, 0, false}, {50, 1, 4, true}, {500, 2, 0, false}, {500, 2, 3, true}, {300, 3, 8, true},
		{200, 20, 0, false}, // above kdMaxTreeDims: a single leaf, i.e. brute force
	} {
		X := randomTestMatrix(rng, tc.n, tc.dim, tc.duplicates)
		tree := newKDTree(X, tc.leaf)
		if tree.size() != tc.n {
			t.Fatalf("size %d, want %d", tree.size(), tc.n)
		}
		var stack []int32
		for trial := 0; trial < 100; trial++ {
			q := X.Row(rng.IntN(tc.n))
			if trial%2 == 1 {
				q = randomTestMatrix(rng, 1, tc.dim, false).Row(0)
			}
			r2 := rng.Float64() * 2
			want := bruteWithin(X, q, r2)

			var positions []int32
			positions, stack = tree.appendWithin(q, r2, nil, stack)
			got := make([]int, len(positions))
			for i, p := range positions {
				got[i] = int(tree.orig[p])
				if !slices.Equal(tree.point(int(p)), X.Row(got[i])) {
					t.Fatalf("tree position %d does not hold row %d", p, got[i])
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d dim=%d: appendWithin found %d rows, brute force %d", tc.n, tc.dim, len(got), len(want))
			}

			var count int
			count, stack = tree.countWithin(q, r2, 0, stack)
			if count != len(want) {
				t.Fatalf("countWithin = %d, want %d", count, len(want))
			}
			limit := 1 + rng.IntN(10)
			count, stack = tree.countWithin(q, r2, limit, stack)
			if count < min(limit, len(want)) || count > len(want) {
				t.Fatalf("countWithin(limit %d) = %d with %d within", limit, count, len(want))
			}

			var nearest int
			nearest, stack = tree.nearestWithin(q, r2, stack)
			wantNearest, wantD := -1, r2
			for _, i := range want {
				if d := sumSqDiff(q, X.Row(i)); wantNearest < 0 || d < wantD {
					wantNearest, wantD = i, d
				}
			}
			if nearest < 0 {
				if wantNearest >= 0 {
					t.Fatalf("nearestWithin found nothing, want row %d", wantNearest)
				}
				continue
			}
			if int(tree.orig[nearest]) != wantNearest {
				t.Fatalf("nearestWithin = row %d, want row %d (lowest row among the nearest)",
					tree.orig[nearest], wantNearest)
			}
		}
	}
}

func TestKDTreeEmptyAndIdentical(t *testing.T) {
	empty := newKDTree(NewMatrix(0, 2), 0)
	if c, _ := empty.countWithin([]float64{0, 0}, 1, 0, nil); c != 0 {
		t.Errorf("empty tree counted %d", c)
	}
	if p, _ := empty.nearestWithin([]float64{0, 0}, 1, nil); p != -1 {
		t.Errorf("empty tree found %d", p)
	}
	// 1000 identical rows cannot be split: one leaf, and every query is all or nothing.
	same := NewMatrix(1000, 2)
	for i := 0; i < same.Rows; i++ {
		same.Row(i)[0], same.Row(i)[1] = 3, -1
	}
	tree := newKDTree(same, 0)
	if len(tree.nodes) != 1 {
		t.Errorf("identical rows built %d nodes, want a single leaf", len(tree.nodes))
	}
	if c, _ := tree.countWithin([]float64{3, -1}, 0, 0, nil); c != 1000 {
		t.Errorf("count at distance 0 = %d, want 1000", c)
	}
	if c, _ := tree.countWithin([]float64{3, -0.5}, 0.2, 0, nil); c != 0 {
		t.Errorf("count out of reach = %d, want 0", c)
	}
}

func TestSelectNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(60)
		X := NewMatrix(n, 1)
		for i := range X.Data {
			X.Data[i] = float64(rng.IntN(5)) // many equal keys
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		k := rng.IntN(n)
		selectNthByAxis(idx, X, 0, k)
		pivot := X.Data[idx[k]]
		for i, r := range idx {
			if (i < k && X.Data[r] > pivot) || (i > k && X.Data[r] < pivot) {
				t.Fatalf("selectNth misplaced %v at %d around pivot %v at %d", X.Data[r], i, pivot, k)
			}
		}
	}
}
