package sql

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// ReadSQL's output must be accepted by DuckDB with real options, including quoted option names.
func TestReadSQLRuns(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "o.csv")
	if err := os.WriteFile(path, []byte("a;b\n1;x\n2;y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openTest(t)
	var n int
	q := "SELECT count(*) FROM " + ReadSQL("csv", []string{path}, map[string]any{"delim": ";", "header": true, "columns": map[string]any{"a": "BIGINT", "b": "VARCHAR"}})
	if err := db.QueryRow(context.Background(), q).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%s: n=%d err=%v", q, n, err)
	}
}
