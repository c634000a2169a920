package algorithms

import (
	"encoding/binary"
	"fmt"
	"math"
)

// checkClusterInput rejects what would make a centroid or mixture fit meaningless or panic: no rows, a
// malformed matrix, NaN or ±Inf (preprocessing should have removed them; one pass over X is cheap next to a
// fit), k < 1, and k larger than the number of distinct rows (k-means would need duplicate centres and
// scikit-learn only warns; here it is an error naming both numbers).
func checkClusterInput(method string, X *Matrix, k int) error {
	if X == nil || X.Rows == 0 {
		return ErrEmptyInput
	}
	if X.Cols < 1 || X.Rows < 0 || len(X.Data) != X.Rows*X.Cols {
		return fmt.Errorf("%s: malformed matrix: %d rows × %d columns but %d values", method, X.Rows, X.Cols,
			len(X.Data))
	}
	if err := checkFinite(method, X); err != nil {
		return err
	}
	if k < 1 {
		return fmt.Errorf("%s: k must be at least 1, got %d", method, k)
	}
	if k > X.Rows {
		return fmt.Errorf("%s: k = %d is larger than the number of rows (%d)", method, k, X.Rows)
	}
	if distinct := countDistinctRows(X, k); distinct < k {
		return fmt.Errorf("%s: k = %d is larger than the number of distinct rows (%d)", method, k, distinct)
	}
	return nil
}

// checkFinite returns a DataError naming the first column of X holding NaN or ±Inf, with its count.
func checkFinite(method string, X *Matrix) error {
	bad := 0
	for _, v := range X.Data {
		// v-v is NaN exactly when v is NaN or ±Inf; one comparison per value keeps the pass cheap.
		if v-v != 0 {
			bad++
		}
	}
	if bad == 0 {
		return nil
	}
	for j := 0; j < X.Cols; j++ {
		nan, inf := 0, 0
		for i := 0; i < X.Rows; i++ {
			v := X.Data[i*X.Cols+j]
			if math.IsNaN(v) {
				nan++
			} else if math.IsInf(v, 0) {
				inf++
			}
		}
		if nan+inf > 0 {
			return &DataError{Reason: fmt.Sprintf(
				"%s: feature column %d has %d NaN and %d infinite values (%d in all columns); "+
					"impute or drop them before clustering", method, j, nan, inf, bad)}
		}
	}
	return nil
}

// countDistinctRows counts distinct rows of X, stopping as soon as it has seen atLeast of them: the check only
// needs to know whether there are enough, and real data reaches k distinct rows within its first few rows.
func countDistinctRows(X *Matrix, atLeast int) int {
	seen := make(map[string]struct{}, atLeast)
	key := make([]byte, 8*X.Cols)
	for i := 0; i < X.Rows && len(seen) < atLeast; i++ {
		for j, v := range X.Row(i) {
			binary.LittleEndian.PutUint64(key[8*j:], math.Float64bits(v+0)) // -0 and +0 are the same point
		}
		if _, ok := seen[string(key)]; !ok {
			seen[string(key)] = struct{}{}
		}
	}
	return len(seen)
}

// checkFitFinite turns a fit whose inertia or log-likelihood overflowed (finite input whose squared distances
// exceed float64's range, around 1e154) into an error instead of returning meaningless labels.
func checkFitFinite(method string, value float64) error {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return &DataError{Reason: fmt.Sprintf("%s: squared distances overflow float64 (features with "+
			"magnitudes beyond about 1e150); scale the features before clustering", method)}
	}
	return nil
}
