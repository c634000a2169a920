package algorithms

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// readKMeansFamilyGolden decodes testdata/golden/<name>.json into v, failing the test if it cannot.
func readKMeansFamilyGolden(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatalf("read golden %s: %v", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode golden %s: %v", name, err)
	}
}

// matrixFromRowsForTest builds a Matrix from the golden files' row lists.
func matrixFromRowsForTest(rows [][]float64) *Matrix {
	m := NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(m.Row(i), r)
	}
	return m
}

// ariForTest is the adjusted Rand index of two labelings (Hubert and Arabie), as scikit-learn's
// adjusted_rand_score, including its special case of two single-cluster or all-singleton labelings (1.0).
// It is a test helper only; the package's own AdjustedRandIndex is someone else's.
func ariForTest(a, b []int) float64 {
	n := len(a)
	type pair struct{ x, y int }
	cont := map[pair]int{}
	rowSum := map[int]int{}
	colSum := map[int]int{}
	for i := range a {
		cont[pair{a[i], b[i]}]++
		rowSum[a[i]]++
		colSum[b[i]]++
	}
	comb2 := func(v int) float64 { return float64(v) * float64(v-1) / 2 }
	if len(rowSum) == len(colSum) && (len(rowSum) == 1 || len(rowSum) == n) && len(cont) == len(rowSum) {
		return 1
	}
	var index, sumA, sumB float64
	for _, v := range cont {
		index += comb2(v)
	}
	for _, v := range rowSum {
		sumA += comb2(v)
	}
	for _, v := range colSum {
		sumB += comb2(v)
	}
	expected := sumA * sumB / comb2(n)
	maxIndex := (sumA + sumB) / 2
	if maxIndex == expected {
		return 1
	}
	return (index - expected) / (maxIndex - expected)
}

func TestARIForTestMatchesSklearn(t *testing.T) {
	var g struct {
		Pairs []struct {
			A, B []int
			ARI  float64 `json:"ari"`
		} `json:"pairs"`
	}
	readKMeansFamilyGolden(t, "ari", &g)
	for i, p := range g.Pairs {
		if got := ariForTest(p.A, p.B); math.Abs(got-p.ARI) > 1e-12 {
			t.Errorf("pair %d: ariForTest = %v, sklearn %v", i, got, p.ARI)
		}
	}
}
