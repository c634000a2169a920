package runner

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/sql"
)

// The same orders as Parquet, JSON lines, gzip, a glob over two files and a list of them must give the same
// memberships as the plain CSV.
func TestSourceFormatsGiveTheSameSegments(t *testing.T) {
	ref := newFixture(t, fixtureSpec, fixtureOrders)
	ref.mustRun("2024-03-01", nil)
	want := ref.query(`SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'lifecycle' ORDER BY entity`)
	if len(want) == 0 {
		t.Fatal("no reference memberships")
	}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	csv := filepath.Join(ref.dir, "data", "orders.csv")
	if err := db.Exec(ctx, "CREATE TABLE o AS SELECT * FROM read_csv("+sql.Literal(csv)+")"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		write      []string // COPY statements, with %s for the file
		files      []string
	}{
		{"parquet", "data/orders.parquet", []string{"COPY o TO %s (FORMAT parquet)"}, []string{"data/orders.parquet"}},
		{"json lines", "data/orders.jsonl", []string{"COPY o TO %s (FORMAT json)"}, []string{"data/orders.jsonl"}},
		{"gzip csv", "data/orders.csv.gz", []string{"COPY o TO %s (FORMAT csv, HEADER, COMPRESSION gzip)"}, []string{"data/orders.csv.gz"}},
		{"glob", "data/part-*.csv", []string{"COPY (SELECT * FROM o WHERE order_id <= 4) TO %s (FORMAT csv, HEADER)",
			"COPY (SELECT * FROM o WHERE order_id > 4) TO %s (FORMAT csv, HEADER)"}, []string{"data/part-1.csv", "data/part-2.csv"}},
		{"list", "[data/part-1.csv, data/part-2.csv]", []string{"COPY (SELECT * FROM o WHERE order_id <= 4) TO %s (FORMAT csv, HEADER)",
			"COPY (SELECT * FROM o WHERE order_id > 4) TO %s (FORMAT csv, HEADER)"}, []string{"data/part-1.csv", "data/part-2.csv"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, strings.Replace(fixtureSpec, "path: data/orders.csv", "path: "+c.path, 1), "")
			for i, stmt := range c.write {
				out := filepath.Join(f.dir, c.files[i])
				if err := db.Exec(ctx, strings.Replace(stmt, "%s", sql.Literal(out), 1)); err != nil {
					t.Fatal(err)
				}
			}
			f.mustRun("2024-03-01", nil)
			if got := f.query(`SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'lifecycle' ORDER BY entity`); strings.Join(got, ";") != strings.Join(want, ";") {
				t.Errorf("memberships %v, want %v", got, want)
			}
			// Every file read is fingerprinted with the version.
			got := f.query(`SELECT json_array_length(sources->'$[0].files') FROM segrun_store.runs`)
			if len(got) != 1 || got[0] != strconv.Itoa(len(c.files)) {
				t.Errorf("fingerprinted %v files, want %d", got, len(c.files))
			}
		})
	}
}

// Data larger than DuckDB's memory limit spills to disk and the run completes; a limit too small for the
// work is the environment's problem (exit 3, with advice), not the data's.
func TestMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1.8M orders; skipped with -short")
	}
	f := newFixture(t, strings.Replace(fixtureSpec, "path: data/orders.csv", "path: data/big/orders.csv", 1), "")
	if _, err := examples.GenerateRetail(filepath.Join(f.dir, "data", "big"), examples.RetailOptions{Customers: 200000}); err != nil {
		t.Fatal(err)
	}
	res := f.mustRun("2024-06-30", func(o *RunOptions) { o.MemoryLimit = "128MB"; o.TempDir = t.TempDir() })
	if res.Outcome != OutcomePublished || res.Steps[0].Rows < 1_500_000 {
		t.Fatalf("under a 128MB limit: %+v", res)
	}
	_, err := f.run("2024-07-31", func(o *RunOptions) { o.MemoryLimit = "16MB" })
	var fail *Failure
	if err == nil || errors.As(err, &fail) || !strings.Contains(err.Error(), "--memory-limit") {
		t.Fatalf("under a 16MB limit: %v (want an environment error with advice)", err)
	}
}
