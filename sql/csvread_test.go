package sql

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A pinned read (what validation's sniffing found, detection off) must read every dialect exactly as
// auto-detection does: the same columns, types and rows, and the same rows rejected.
func TestPinnedCSVReadsAsAutoDetection(t *testing.T) {
	cases := []struct {
		name, text string
		options    map[string]any
	}{
		{"semicolons and quoted delimiters", "id;name;amount\n1;\"a;b\";1.5\n2;c;2.5\n", nil},
		{"tabs", "id\tname\n1\tx\n2\ty\n", nil},
		{"no header", "1,2024-01-01,3.5\n2,2024-01-02,4.5\n", nil},
		{"day-first dates", "id,day,at\n1,31/01/2024,31/01/2024 10:00\n2,01/02/2024,01/02/2024 11:30\n", nil},
		{"escaped quotes and CRLF", "id,text\r\n1,\"say \"\"hi\"\"\"\r\n2,plain\r\n", nil},
		{"junk before the header", "exported by shop\nid,amount\n1,2\n3,4\n", nil},
		{"declared types", "id,amount,at\n1,1.25,2024-01-01 00:00:00\n2,2.50,2024-01-02 00:00:00\n",
			map[string]any{"types": map[string]any{"amount": "DECIMAL(12,2)", "id": "BIGINT"}}},
		{"bad rows, ignored", "id,amount\n1,2\n2,x\n3,4\n", map[string]any{"types": map[string]any{"amount": "BIGINT"}, "ignore_errors": true}},
		{"bad rows, collected", "id,amount\n1,2\n2,x\n3,4\n",
			map[string]any{"types": map[string]any{"amount": "BIGINT"}, "store_rejects": true, "rejects_table": "rj", "rejects_scan": "rs"}},
	}
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), fmt.Sprintf("f%d.csv", i))
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			if c.options == nil {
				c.options = map[string]any{}
			}
			sniffed, err := db.SniffCSV(ctx, path, c.options)
			if err != nil {
				t.Fatal(err)
			}
			read := func(options map[string]any) string {
				if err := db.Exec(ctx, "DROP TABLE IF EXISTS rj; DROP TABLE IF EXISTS rs"); err != nil {
					t.Fatal(err)
				}
				from := ReadSQL("csv", []string{path}, options)
				cols, err := db.Describe(ctx, "SELECT * FROM "+from)
				if err != nil {
					t.Fatalf("%s: %v", from, err)
				}
				rows, err := db.Query(ctx, "SELECT * FROM "+from+" ORDER BY ALL")
				if err != nil {
					t.Fatal(err)
				}
				_, values, err := ScanAll(rows)
				if err != nil {
					t.Fatal(err)
				}
				out := fmt.Sprint(cols, values)
				if _, ok := options["rejects_table"]; ok {
					var n int64
					if err := db.QueryRow(ctx, "SELECT count(*) FROM rj").Scan(&n); err != nil {
						t.Fatal(err)
					}
					out += fmt.Sprintf(" rejected %d", n)
				}
				return out
			}
			auto, pinned := read(c.options), read(Pin(c.options, sniffed))
			if auto != pinned {
				t.Errorf("auto-detected %s\npinned        %s\noptions %v", auto, pinned, Pin(c.options, sniffed))
			}
			if strings.Contains(c.name, "collected") && !strings.HasSuffix(pinned, "rejected 1") {
				t.Errorf("want one rejected row: %s", pinned)
			}
		})
	}
}

// Validation pins a single-file CSV source, so the run does not sniff it again; options that set the
// dialect or types, and globs, keep auto-detection.
func TestPinnable(t *testing.T) {
	for _, c := range []struct {
		paths   []string
		options map[string]any
		want    bool
	}{
		{[]string{"data/orders.csv"}, nil, true},
		{[]string{"data/orders.csv"}, map[string]any{"ignore_errors": true}, true},
		{[]string{"data/*.csv"}, nil, false},
		{[]string{"a.csv", "b.csv"}, nil, false},
		{[]string{"data/orders.csv"}, map[string]any{"delim": ";"}, false},
		{[]string{"data/orders.csv"}, map[string]any{"all_varchar": true}, false},
		{[]string{"data/orders.csv"}, map[string]any{"names": []any{"a", "b"}}, false},
	} {
		if got := Pinnable(c.paths, c.options); got != c.want {
			t.Errorf("Pinnable(%v, %v) = %v, want %v", c.paths, c.options, got, c.want)
		}
	}
}

// RejectsEmpty must name exactly the types for which the reader, told force_not_null, rejects an empty
// field: those are the not_null columns segrun leaves to the reader.
func TestEmptyStringIsRejectedByForcedTypes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(t.TempDir(), "e.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"TINYINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "DOUBLE", "FLOAT", "DECIMAL(12,2)",
		"DATE", "TIME", "TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP_MS", "BOOLEAN", "UUID", "INTERVAL",
		"VARCHAR", "TEXT", "CHAR(10)", "VARCHAR COLLATE NOCASE", "TIMETZ", "BLOB", "UNION(s VARCHAR)"} {
		cols, err := db.Describe(ctx, "SELECT NULL::"+typ)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if err := db.Exec(ctx, "DROP TABLE IF EXISTS rj; DROP TABLE IF EXISTS rs"); err != nil {
			t.Fatal(err)
		}
		from := ReadSQL("csv", []string{path}, map[string]any{"types": map[string]any{"b": typ}, "force_not_null": []any{"b"},
			"store_rejects": true, "rejects_table": "rj", "rejects_scan": "rs"})
		var rows, rejected int64
		// Every column read, as segrun's reads do: DuckDB applies force_not_null to the wrong columns when
		// projection pushdown leaves some out (seen in 1.5.6), which is one more reason both the loaded and the
		// streamed reads parse every column.
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+from+" WHERE hash(a, b) IS NOT NULL").Scan(&rows); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if err := db.QueryRow(ctx, "SELECT count(*) FROM rj").Scan(&rejected); err != nil {
			t.Fatal(err)
		}
		if got := rejected == 1; got != RejectsEmpty(cols[0].Type) {
			t.Errorf("%s (%s): the reader rejected %d empty fields, but rejectsEmpty says %v", typ, cols[0].Type, rejected, RejectsEmpty(cols[0].Type))
		}
	}
}
