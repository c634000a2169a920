package algorithms

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bothKernels runs a k-means test with the vector kernels (where the machine has them: k-means then scores
// every row against every centre) and without (Hamerly's bounds and scalar Go), so both paths meet the
// same expectations.
func bothKernels(t *testing.T, test func(t *testing.T)) {
	if useAVX2 {
		t.Run("vector", test)
	}
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	setAVX2(false)
	t.Run("scalar", test)
}

// withGoKernels runs fn with the Go kernels only.
func withGoKernels(fn func()) {
	saved := useAVX2
	defer func() { useAVX2 = saved }()
	setAVX2(false)
	fn()
}

// The assembly kernels must agree with the Go ones on every shape: any number of features and centroids,
// and row counts that leave a remainder of 0-3 rows for the Go loop.
func TestKernelsAgree(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 and FMA on this machine: only the Go kernels run")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	shapes := [][2]int{{256, 1}, {16, 16}} // the largest column scans k-means makes (k×d = 256)
	for d := 1; d <= 9; d++ {
		for _, k := range []int{1, 2, 3, 4, 7, 12} {
			shapes = append(shapes, [2]int{k, d})
		}
	}
	for _, shape := range shapes {
		k, d := shape[0], shape[1]
		{
			for _, rows := range []int{0, 1, 3, 4, 5, 8, 13, 37} {
				n := rows + 3
				X := NewMatrix(n, d)
				for i := range X.Data {
					X.Data[i] = rng.NormFloat64()*3 + 1
				}
				T := colMajor(X)
				C := make([]float64, k*d)
				for i := range C {
					C[i] = rng.NormFloat64() * 3
				}
				mu := make([]float64, d) // centroids are scored around X's mean, as k-means does
				for m := range mu {
					mu[m] = rng.NormFloat64() + 1
				}
				coef := make([]float64, k*(d+1))
				nearestCoefficients(C, mu, k, d, coef)
				lo := 2
				rows := min(rows, n-lo)
				asmLabels, goLabels := make([]int32, rows), make([]int32, rows)
				asmSq, goSq := make([]float64, rows), make([]float64, rows)
				nearestRows(T, n, d, lo, coef, k, asmLabels)
				squaredDistances(T, n, d, lo, C[:d], asmSq)
				asmSum := distanceSum(T, n, d, lo, lo+rows, C[:d])
				var goSum float64
				withGoKernels(func() {
					nearestRows(T, n, d, lo, coef, k, goLabels)
					squaredDistances(T, n, d, lo, C[:d], goSq)
					goSum = distanceSum(T, n, d, lo, lo+rows, C[:d])
				})
				for i := range asmLabels {
					if asmLabels[i] != goLabels[i] {
						// Only a near tie may resolve differently, the two rounding differently.
						a, b := squaredDistance(X.Row(lo+i), C[int(asmLabels[i])*d:][:d]), squaredDistance(X.Row(lo+i), C[int(goLabels[i])*d:][:d])
						if math.Abs(a-b) > 1e-9*(a+b) {
							t.Errorf("d=%d k=%d row %d: assembly says %d, Go %d", d, k, i, asmLabels[i], goLabels[i])
						}
					}
					if want := squaredDistance(X.Row(lo+i), C[:d]); math.Abs(asmSq[i]-want) > 1e-12*want || math.Abs(goSq[i]-want) > 1e-12*want {
						t.Errorf("d=%d row %d: squared distance %v (assembly), %v (Go), want %v", d, i, asmSq[i], goSq[i], want)
					}
				}
				if math.Abs(asmSum-goSum) > 1e-12*math.Abs(goSum) {
					t.Errorf("d=%d rows=%d: distance sum %v (assembly), %v (Go)", d, rows, asmSum, goSum)
				}
			}
		}
	}
}

func TestColMajor(t *testing.T) {
	X := &Matrix{Rows: 2, Cols: 3, Data: []float64{1, 2, 3, 4, 5, 6}}
	got := colMajor(X)
	want := []float64{1, 4, 2, 5, 3, 6}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("colMajor = %v, want %v", got, want)
		}
	}
}
