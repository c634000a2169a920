package algorithms

// normalizeImportances scales a model's feature importances (each feature's total split gain) to shares
// that sum to 1, as scikit-learn reports feature_importances_; all zeros (no split) stay zeros.
func normalizeImportances(v []float64) {
	total := 0.0
	for _, x := range v {
		total += x
	}
	if total > 0 {
		for j := range v {
			v[j] /= total
		}
	}
}

// rowIndices is 0, 1, ..., n-1: the rows a tree grows from at its root.
func rowIndices(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
