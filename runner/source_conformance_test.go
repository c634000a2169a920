package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
)

// conformanceFile is one input file, given as CSV text; a .parquet, .json/.jsonl or .gz file is written
// from it by DuckDB.
type conformanceFile struct{ name, csv string }

// sourceConformanceCases are reads segrun forwards to DuckDB: the options as the spec writes them (YAML)
// and as a DuckDB literal. Each must load exactly the table DuckDB's own reader gives with that literal.
var sourceConformanceCases = []struct {
	name    string
	format  string
	files   []conformanceFile
	paths   []string // as the spec gives them, relative to data/
	yaml    string   // the options mapping, "" for none
	literal string   // the same options as read_*'s named parameters, "" for none
}{
	{name: "plain", format: "csv", files: []conformanceFile{{"a.csv", "id,spend,day\n1,100,2024-01-31\n2,2.5,2024-02-29\n3,,2023-12-01\n"}},
		paths: []string{"a.csv"}},
	{name: "header false", format: "csv", files: []conformanceFile{{"a.csv", "1,100\n2,250\n"}},
		paths: []string{"a.csv"}, yaml: "{header: false}", literal: "header := false"},
	{name: "delim", format: "csv", files: []conformanceFile{{"a.csv", "id;spend\n1;1,5\n2;3\n"}},
		paths: []string{"a.csv"}, yaml: `{delim: ";"}`, literal: "delim := ';'"},
	{name: "quote", format: "csv", files: []conformanceFile{{"a.csv", "id,name\n1,'a,b'\n2,c\n"}},
		paths: []string{"a.csv"}, yaml: `{quote: "'"}`, literal: "quote := ''''"},
	{name: "escape", format: "csv", files: []conformanceFile{{"a.csv", "id,name\n1,\"a\\\"b\"\n2,c\n"}},
		paths: []string{"a.csv"}, yaml: `{quote: '"', escape: '\'}`, literal: `quote := '"', escape := '\'`},
	{name: "dateformat", format: "csv", files: []conformanceFile{{"a.csv", "id,day\n1,31/01/2024\n2,01/02/2024\n"}},
		paths: []string{"a.csv"}, yaml: `{dateformat: "%d/%m/%Y"}`, literal: "dateformat := '%d/%m/%Y'"},
	{name: "timestampformat", format: "csv", files: []conformanceFile{{"a.csv", "id,at\n1,31/01/2024 10:05\n2,01/02/2024 23:59\n"}},
		paths: []string{"a.csv"}, yaml: `{timestampformat: "%d/%m/%Y %H:%M"}`, literal: "timestampformat := '%d/%m/%Y %H:%M'"},
	{name: "nullstr", format: "csv", files: []conformanceFile{{"a.csv", "id,spend\n1,NA\n2,3\n"}},
		paths: []string{"a.csv"}, yaml: "{nullstr: NA}", literal: "nullstr := 'NA'"},
	{name: "skip", format: "csv", files: []conformanceFile{{"a.csv", "exported by x\n\nid,spend\n1,2\n3,4\n"}},
		paths: []string{"a.csv"}, yaml: "{skip: 2}", literal: "skip := 2"},
	{name: "columns, not in name order", format: "csv", files: []conformanceFile{{"a.csv", "customer_id,spend,age\n1,100,30\n2,250,41\n3,80,19\n"}},
		paths: []string{"a.csv"}, yaml: "{header: true, columns: {customer_id: BIGINT, spend: BIGINT, age: BIGINT}}",
		literal: "header := true, columns := {'customer_id': 'BIGINT', 'spend': 'BIGINT', 'age': 'BIGINT'}"},
	{name: "names", format: "csv", files: []conformanceFile{{"a.csv", "1,100,30\n2,250,41\n"}},
		paths: []string{"a.csv"}, yaml: "{header: false, names: [z, a, m]}", literal: "header := false, names := ['z', 'a', 'm']"},
	{name: "types by name", format: "csv", files: []conformanceFile{{"a.csv", "id,spend,age\n1,100,30\n2,250,41\n"}},
		paths: []string{"a.csv"}, yaml: "{types: {spend: DOUBLE, age: VARCHAR}}", literal: "types := {'spend': 'DOUBLE', 'age': 'VARCHAR'}"},
	{name: "types as a list", format: "csv", files: []conformanceFile{{"a.csv", "id,spend,age\n1,100,30\n2,250,41\n"}},
		paths: []string{"a.csv"}, yaml: "{types: [VARCHAR, DOUBLE, BIGINT]}", literal: "types := ['VARCHAR', 'DOUBLE', 'BIGINT']"},
	{name: "a list, not in name order", format: "csv",
		files: []conformanceFile{{"a.csv", "id,spend\n1,10\n2,20\n"}, {"b.csv", "id,spend\n3,30\n4,40\n"}},
		paths: []string{"b.csv", "a.csv"}},
	{name: "a glob", format: "csv",
		files: []conformanceFile{{"p-2.csv", "id,spend\n3,30\n4,40\n"}, {"p-1.csv", "id,spend\n1,10\n2,20\n"}},
		paths: []string{"p-*.csv"}},
	{name: "gzip", format: "csv", files: []conformanceFile{{"a.csv.gz", "id,spend\n1,10\n2,20.5\n"}}, paths: []string{"a.csv.gz"}},
	{name: "union_by_name", format: "csv",
		files: []conformanceFile{{"a.csv", "id,name,spend\n1,ann,10\n2,bob,20\n"}, {"b.csv", "id,spend,name,extra\n3,30,cy,x\n"}},
		paths: []string{"a.csv", "b.csv"}, yaml: "{union_by_name: true}", literal: "union_by_name := true"},
	{name: "union_by_name, glob and gzip", format: "csv",
		files: []conformanceFile{{"u-1.csv.gz", "id,name,spend\n1,ann,10\n"}, {"u-2.csv.gz", "spend,id\n30,3\n"}},
		paths: []string{"u-*.csv.gz"}, yaml: "{union_by_name: true}", literal: "union_by_name := true"},

	{name: "parquet", format: "parquet", files: []conformanceFile{{"a.parquet", "id,spend,day\n1,100,2024-01-31\n2,2.5,\n"}},
		paths: []string{"a.parquet"}},
	{name: "parquet list, columns in other orders", format: "parquet",
		files: []conformanceFile{{"b.parquet", "spend,id\n30,3\n"}, {"a.parquet", "id,spend\n1,10\n"}}, paths: []string{"b.parquet", "a.parquet"}},
	{name: "parquet union_by_name", format: "parquet",
		files: []conformanceFile{{"a.parquet", "id,spend\n1,10\n"}, {"b.parquet", "spend,id,name\n30,3,cy\n"}},
		paths: []string{"*.parquet"}, yaml: "{union_by_name: true}", literal: "union_by_name := true"},

	{name: "json lines", format: "json", files: []conformanceFile{{"a.jsonl", "id,spend,day\n1,100,2024-01-31\n2,2.5,\n"}},
		paths: []string{"a.jsonl"}},
	{name: "json columns, not in name order", format: "json", files: []conformanceFile{{"a.jsonl", "zid,aspend\n1,100\n2,250\n"}},
		paths: []string{"a.jsonl"}, yaml: "{columns: {zid: BIGINT, aspend: DOUBLE}}", literal: "columns := {'zid': 'BIGINT', 'aspend': 'DOUBLE'}"},
	{name: "json list and union_by_name", format: "json",
		files: []conformanceFile{{"a.jsonl", "id,spend\n1,10\n"}, {"b.jsonl", "spend,id,name\n30,3,cy\n"}},
		paths: []string{"b.jsonl", "a.jsonl"}, yaml: "{union_by_name: true}", literal: "union_by_name := true"},
}

// TestSourceOptionsLoadWhatDuckDBReads holds every read segrun makes of a source, through DuckDB's reader
// and through the plain CSV reader where it applies, to the table DuckDB's own reader gives with the same
// options written as a literal: the same column names, types and values, in the same order.
func TestSourceOptionsLoadWhatDuckDBReads(t *testing.T) {
	ctx := context.Background()
	plainUsed := false
	for _, c := range sourceConformanceCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := sql.Open(ctx, "", sql.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			writeConformanceFiles(t, db, dir, c.files)
			abs := make([]string, len(c.paths))
			for i, p := range c.paths {
				abs[i] = filepath.Join(dir, "data", p)
			}
			fn := map[string]string{"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}[c.format]
			files := sql.Literal(abs)
			if len(abs) == 1 {
				files = sql.Literal(abs[0])
			}
			direct := fn + "(" + files
			if c.literal != "" {
				direct += ", " + c.literal
			}
			direct += ")"
			want := tableContents(t, db, "SELECT * FROM "+direct)

			var spec strings.Builder
			fmt.Fprintf(&spec, "version: 1\nname: conformance\nentity: id\nsources:\n  src:\n    format: %s\n    path: [%s]\n", c.format,
				strings.Join(underData(c.paths), ", "))
			if c.yaml != "" {
				fmt.Fprintf(&spec, "    options: %s\n", c.yaml)
			}
			specPath := filepath.Join(dir, "conformance.yaml")
			if err := os.WriteFile(specPath, []byte(spec.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, duckdbCSV := range []bool{true, false} {
				got, plain := loadThroughSegrun(t, specPath, duckdbCSV)
				plainUsed = plainUsed || plain
				if got != want {
					t.Errorf("DuckDBCSV=%v (plain reader used: %v): segrun loaded\n%s\nDuckDB's %s reads\n%s", duckdbCSV, plain, got, direct, want)
				}
			}
		})
	}
	if !plainUsed {
		t.Error("no case went through the plain CSV reader")
	}
}

func underData(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = "data/" + p
	}
	return out
}

// writeConformanceFiles writes each file under dir/data, converting its CSV text with DuckDB where the
// name asks for another format or compression.
func writeConformanceFiles(t *testing.T, db *sql.DB, dir string, files []conformanceFile) {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		path := filepath.Join(dir, "data", f.name)
		var copyOpts string
		switch {
		case strings.HasSuffix(f.name, ".parquet"):
			copyOpts = "FORMAT parquet"
		case strings.HasSuffix(f.name, ".jsonl"), strings.HasSuffix(f.name, ".json"):
			copyOpts = "FORMAT json"
		case strings.HasSuffix(f.name, ".csv.gz"):
			copyOpts = "FORMAT csv, HEADER, COMPRESSION gzip"
		default:
			if err := os.WriteFile(path, []byte(f.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		src := filepath.Join(dir, "source-"+strings.ReplaceAll(f.name, "/", "_")+".csv")
		if err := os.WriteFile(src, []byte(f.csv), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec(ctx, fmt.Sprintf("COPY (SELECT * FROM read_csv(%s)) TO %s (%s)", sql.Literal(src), sql.Literal(path), copyOpts)); err != nil {
			t.Fatal(err)
		}
	}
}

// loadThroughSegrun validates the spec and loads its source src as a run does, and returns the loaded
// table's contents and whether the plain CSV reader read it.
func loadThroughSegrun(t *testing.T, specPath string, duckdbCSV bool) (string, bool) {
	t.Helper()
	ctx := context.Background()
	v, err := Validate(ctx, specPath, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid() {
		t.Fatalf("invalid spec: %v", v.Diagnostics)
	}
	db, err := sql.Open(ctx, "", sql.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var log bytes.Buffer
	o := RunOptions{DuckDBCSV: duckdbCSV, Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	e := &execution{o: o, v: v, s: v.Spec, db: db, res: &Result{}, log: o.Log, streamed: map[string]*sourceRead{}, views: map[string]bool{},
		entities: map[string]int64{}}
	if _, err := e.loadSource(ctx, "src"); err != nil {
		t.Fatalf("loading: %v", err)
	}
	return tableContents(t, db, "SELECT * FROM src"), e.readers["src"].Reader == ReaderPlain
}

// tableContents writes a query's columns (name and type) and its rows, in order, as text.
func tableContents(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	ctx := context.Background()
	cols, err := db.Describe(ctx, query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var b strings.Builder
	values := make([]string, len(cols))
	for i, c := range cols {
		fmt.Fprintf(&b, "%s %s; ", c.Name, c.Type)
		values[i] = fmt.Sprintf("coalesce(%s::VARCHAR, '<NULL>')", sql.Ident(c.Name))
	}
	b.WriteString("\n")
	rows, err := db.Query(ctx, fmt.Sprintf("SELECT concat_ws(' | ', %s) FROM (%s)", strings.Join(values, ", "), query))
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
