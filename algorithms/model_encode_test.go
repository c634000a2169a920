package algorithms

import (
	"math"
	"strconv"
	"testing"
)

// The encoding is fitted on the training rows only: a level or a value only the other rows have must not
// shape it, and scoring handles what training never saw.
func TestEncoderFitsOnTrainingRowsOnly(t *testing.T) {
	cols := []ModelColumn{
		{Name: "x", Num: []float64{1, 3, math.NaN(), 100}},
		{Name: "c", Text: []string{"b", "a", "", "z"}, Missing: []bool{false, false, true, false}},
	}
	enc, err := FitEncoder(cols, []int{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	x, c := enc.Features[0], enc.Features[1]
	if x.Mean != 2 || x.SD != 1 {
		t.Errorf("x: mean %v sd %v, want 2 and 1 (row 3's 100 is not training's)", x.Mean, x.SD)
	}
	// "(missing)" sorts before "a": it is the reference level.
	if c.Reference != MissingLevel || len(c.Levels) != 2 || c.Levels[0] != "a" || c.Levels[1] != "b" {
		t.Errorf("c: reference %q levels %v, want (missing) and [a b]", c.Reference, c.Levels)
	}
	X, err := enc.Transform(cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{-1, 0, 1}, {1, 1, 0}, {0, 0, 0}, {98, 0, 0}} // NaN: the mean; z unseen: all zeros
	for i, row := range want {
		for j, v := range row {
			if X.At(i, j) != v {
				t.Errorf("X[%d][%d] = %v, want %v", i, j, X.At(i, j), v)
			}
		}
	}
	if got := enc.Columns(); len(got) != 3 || got[1] != "c=a" {
		t.Errorf("columns %v", got)
	}
}

// The split depends on the entity and the seed alone, and its share is the test share on average.
func TestSplitIsStableAndProportional(t *testing.T) {
	in := 0
	for i := 0; i < 100_000; i++ {
		key := strconv.Itoa(i)
		a := InTestPart(key, 7, 0.25)
		if a != InTestPart(key, 7, 0.25) {
			t.Fatal("not deterministic")
		}
		if a {
			in++
		}
	}
	if share := float64(in) / 100_000; math.Abs(share-0.25) > 0.01 {
		t.Errorf("test share %.4f, want 0.25 ± 0.01", share)
	}
	differ := 0
	for i := 0; i < 1000; i++ {
		if InTestPart(strconv.Itoa(i), 7, 0.5) != InTestPart(strconv.Itoa(i), 8, 0.5) {
			differ++
		}
	}
	if differ < 400 {
		t.Errorf("seeds 7 and 8 put only %d of 1000 entities on different sides", differ)
	}
}

func TestDecilesRankDescending(t *testing.T) {
	score := []float64{0.1, 0.9, 0.5, 0.5, 0.3, 0.7, 0.2, 0.8, 0.6, 0.4}
	d := Deciles(score)
	want := []int32{10, 1, 5, 6, 8, 3, 9, 2, 4, 7} // ties in row order
	for i := range want {
		if d[i] != want[i] {
			t.Fatalf("deciles %v, want %v", d, want)
		}
	}
}

// Ordinary least squares refuses collinear features by name instead of returning arbitrary coefficients.
func TestLinearRefusesCollinearFeatures(t *testing.T) {
	X := NewMatrix(5, 2)
	for i := 0; i < 5; i++ {
		X.Data[2*i], X.Data[2*i+1] = float64(i), 2*float64(i)
	}
	if _, err := FitLinear(X, []float64{1, 2, 3, 4, 5}, 0, []string{"a", "b"}); err == nil {
		t.Error("collinear features fitted")
	}
	if _, err := FitLinear(X, []float64{1, 2, 3, 4, 5}, 1, []string{"a", "b"}); err != nil {
		t.Errorf("ridge refused: %v", err)
	}
}
