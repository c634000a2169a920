package sql

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScanFiles(t *testing.T) {
	for extra, want := range map[string]string{
		"{Function=READ_CSV, Projections=a | b, Total Files Read=1, 'Filename(s)'=data/orders.csv}": "data/orders.csv",
		"{Function=READ_CSV, 'Filename(s)'='/d/a.csv, /d/b.csv', Total Files Read=2}":               "/d/a.csv, /d/b.csv",
		"{Function=READ_CSV, 'Filename(s)'=/d/*.csv, Total Files Read=2}":                           "/d/*.csv",
		"{Function=SEQ_SCAN, Table=orders}":                                                         "",
	} {
		if got := scanFiles(extra); got != want {
			t.Errorf("scanFiles(%q) = %q, want %q", extra, got, want)
		}
	}
}

// The profile finds the rows of a real scan, as DuckDB prints it: one file, a glob and a list.
func TestScannedRowsFromDuckDBProfile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "b.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x,y\n1,2\n3,4\n5,6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		paths []string
		rows  int64
	}{{[]string{a}, 3}, {[]string{filepath.Join(dir, "*.csv")}, 6}, {[]string{a, b}, 6}} {
		from := ReadSQL("csv", c.paths, nil)
		var p PlanNode
		p, err = db.Profiled(ctx, func() error {
			return db.Exec(ctx, "CREATE OR REPLACE TABLE t AS SELECT y, count(*) FROM "+from+" WHERE x > 1 GROUP BY y")
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := ScannedRows(p, strings.Join(c.paths, ", "), false); !ok || got != c.rows {
			t.Errorf("%v: scanned rows %d (found %v), want %d", c.paths, got, ok, c.rows)
		}
	}
}

func TestSingleArrowScan(t *testing.T) {
	cols := []string{"a", "b"}
	scan := PlanNode{Name: "ARROW_SCAN", Extra: map[string]any{"Function": "ARROW_SCAN", "Projections": []any{"a", "b"}}}
	in := func(name string, children ...PlanNode) PlanNode {
		return PlanNode{Name: "CREATE_TABLE_AS", Children: []PlanNode{{Name: name, Children: children}}}
	}
	for _, tc := range []struct {
		name string
		plan PlanNode
		want bool
	}{
		{"aggregate", in("HASH_GROUP_BY", PlanNode{Name: "FILTER", Children: []PlanNode{scan}}), true},
		{"self join", in("HASH_JOIN", scan, scan), false},
		{"two scans", in("UNION", scan, scan), false},
		{"limit", in("STREAMING_LIMIT", scan), false},
		{"no scan", in("PROJECTION"), false},
		{"unknown operator", in("RECURSIVE_CTE", scan), false},
		{"some columns", in("PROJECTION", PlanNode{Name: "ARROW_SCAN", Extra: map[string]any{"Projections": "b"}}), false},
		{"columns reordered", in("PROJECTION", PlanNode{Name: "ARROW_SCAN", Extra: map[string]any{"Projections": []any{"b", "a"}}}), false},
		{"a pushed filter", in("PROJECTION", PlanNode{Name: "ARROW_SCAN", Extra: map[string]any{"Projections": []any{"a", "b"}, "Filters": "a>1"}}), false},
	} {
		if got := SingleArrowScan(tc.plan, cols); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
