package algorithms

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// readGolden decodes testdata/golden/<name>.json, written by scripts/sklearn_golden.py, into v.
func readGolden(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("golden file %s: %v", name, err)
	}
}

// matrixFromRows builds a Matrix from a golden file's list of rows.
func matrixFromRows(rows [][]float64) *Matrix {
	if len(rows) == 0 {
		return NewMatrix(0, 0)
	}
	m := NewMatrix(len(rows), len(rows[0]))
	for i, r := range rows {
		copy(m.Row(i), r)
	}
	return m
}
