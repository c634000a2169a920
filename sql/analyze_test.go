package sql

import (
	"context"
	"reflect"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAnalyzeTables(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		sql    string
		tables []string
	}{
		{"select * from orders", []string{"orders"}},
		{"select * from orders join rfm using (customer_id)", []string{"orders", "rfm"}},
		{"select * from orders natural join customers", []string{"orders", "customers"}},
		{"with x as (select * from orders) select * from x join rfm using (id)", []string{"orders", "rfm"}},
		{"select * from a where id in (select id from b) and exists (select 1 from c)", []string{"a", "b", "c"}},
		{"select * from main.orders", []string{"orders"}},
		{"select * from a union all select * from b", []string{"a", "b"}},
		{"select 1", nil},
		{"select * from read_csv('x.csv')", nil},
	}
	for _, tt := range tests {
		a, err := db.Analyze(context.Background(), tt.sql)
		if err != nil {
			t.Errorf("%s: %v", tt.sql, err)
			continue
		}
		var got []string
		for _, r := range a.Tables {
			got = append(got, r.Name)
		}
		if !reflect.DeepEqual(got, tt.tables) {
			t.Errorf("%s: tables %v, want %v", tt.sql, got, tt.tables)
		}
	}
}

// GetTableNames is what one would reach for; it returns nothing for USING and NATURAL joins, which is why
// Analyze reads the parse tree instead. If this test starts failing, DuckDB fixed it and Analyze could use it.
func TestGetTableNamesStillMissesUsingJoins(t *testing.T) {
	db := openTest(t)
	names, err := duckdb.GetTableNames(db.Conn(), "select * from orders join rfm using (customer_id)", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Fatalf("GetTableNames now returns %v for USING joins: DuckDB fixed it, and Analyze could rely on it", names)
	}
}

func TestAnalyzePositionsAndErrors(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	q := "select ü,\n  x\nfrom orders o\njoin rfm r on o.id = r.id"
	a, err := db.Analyze(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	line, col := OffsetPosition(q, a.Tables[1].Offset)
	if a.Tables[1].Name != "rfm" || line != 4 || col != 6 {
		t.Errorf("rfm at %d:%d, want 4:6", line, col)
	}
	for _, bad := range []struct {
		sql       string
		line, col int
	}{
		{"select 1 from\n where", 2, 2},
		{"delete from orders", 1, 1},
		{"select 1; select 2", 1, 1},
	} {
		_, err := db.Analyze(ctx, bad.sql)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: got %v, want *Error", bad.sql, err)
			continue
		}
		if e.Line != bad.line || e.Column != bad.col {
			t.Errorf("%q: error at %d:%d, want %d:%d (%s)", bad.sql, e.Line, e.Column, bad.line, bad.col, e.Msg)
		}
	}
	a, err = db.Analyze(ctx, "select now(), random() from t")
	if err != nil || len(a.Functions) != 2 || a.Functions[0].Name != "now" {
		t.Errorf("functions: %+v %v", a, err)
	}
}

func TestDescribeLocatesBinderErrors(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.CreateEmpty(ctx, "rfm", []Column{{"customer_id", "BIGINT"}, {"monetary", "DOUBLE"}}); err != nil {
		t.Fatal(err)
	}
	long := "select customer_id, monetary as " + string(make([]byte, 0)) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, frequencyy from rfm"
	cases := []struct {
		sql       string
		line, col int
	}{
		{"select customer_id, frequencyy from rfm", 1, 21},
		{"select customer_id,\n  sum(monetaryy)\nfrom rfm group by 1", 2, 7},
		// DuckDB windows long lines with "..."; the column must still be exact.
		{long, 1, len(long) - len("frequencyy from rfm") + 1},
	}
	for _, c := range cases {
		_, err := db.Describe(ctx, c.sql)
		e, ok := err.(*Error)
		if !ok {
			t.Fatalf("%q: got %v", c.sql, err)
		}
		if e.Line != c.line || e.Column != c.col || e.Kind != "Binder" {
			t.Errorf("%q: %s error at %d:%d, want Binder at %d:%d: %s", c.sql, e.Kind, e.Line, e.Column, c.line, c.col, e.Msg)
		}
	}
	cols, err := db.Describe(ctx, "select customer_id, monetary * 2 as m2 from rfm")
	if err != nil || !reflect.DeepEqual(cols, []Column{{"customer_id", "BIGINT"}, {"m2", "DOUBLE"}}) {
		t.Errorf("Describe: %v %v", cols, err)
	}
}

func TestLiteral(t *testing.T) {
	for v, want := range map[any]string{
		"it's": "'it''s'", true: "true", int64(-3): "-3", 2.5: "2.5", nil: "NULL",
	} {
		if got := Literal(v); got != want {
			t.Errorf("Literal(%v) = %s, want %s", v, got, want)
		}
	}
	if got := Literal([]any{"a", 1}); got != "['a', 1]" {
		t.Errorf("list: %s", got)
	}
	if got := Literal(map[string]any{"b": "VARCHAR", "a": "BIGINT"}); got != "{'a': 'BIGINT', 'b': 'VARCHAR'}" {
		t.Errorf("struct: %s", got)
	}
	if got := Ident(`we"ird`); got != `"we""ird"` {
		t.Errorf("Ident: %s", got)
	}
}

// Literals must survive a round trip through DuckDB unchanged, whatever they contain.
func TestLiteralRoundTrip(t *testing.T) {
	db := openTest(t)
	for _, s := range []string{"plain", "it's", `back\slash`, "semi; drop table x; --", "ünïcödé", "new\nline"} {
		var got string
		if err := db.QueryRow(context.Background(), "SELECT "+Literal(s)).Scan(&got); err != nil || got != s {
			t.Errorf("round trip of %q: %q %v", s, got, err)
		}
	}
}

func TestReaders(t *testing.T) {
	for path, want := range map[string]string{"a.csv": "csv", "a.CSV.gz": "csv", "x/*.parquet": "parquet", "e.jsonl": "json", "e.ndjson.gz": "json", "a.xlsx": ""} {
		if got := DetectFormat(path); got != want {
			t.Errorf("DetectFormat(%s) = %q, want %q", path, got, want)
		}
	}
	got := ReadSQL("csv", []string{"a.csv", "b.csv"}, map[string]any{"header": true, "delim": ";"})
	if want := `read_csv(['a.csv', 'b.csv'], "delim" := ';', "header" := true)`; got != want {
		t.Errorf("ReadSQL = %s, want %s", got, want)
	}
	db := openTest(t)
	opts, err := db.ReaderOptions(context.Background(), "csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"header", "delim", "dateformat", "union_by_name"} {
		if !contains(opts, want) {
			t.Errorf("csv options lack %s: %v", want, opts)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The outermost SELECT list says which output columns pass a column on unchanged (personal data follows
// those, runner/pii.go): plain and qualified references, renamed or not; an expression passes nothing,
// whatever its name; a set operation has no list of its own.
func TestAnalyzeProjections(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		sql  string
		want []Projection
	}{
		{"select customer_id, c.email, phone as mobile, lower(name) as name, 1 as one from c",
			[]Projection{{Name: "customer_id", Ref: "customer_id"}, {Name: "email", Ref: "email"}, {Name: "mobile", Ref: "phone"}, {Name: "name"}, {Name: "one"}}},
		{"select * exclude (x) from c", []Projection{{Star: true}}},
		{"with t as (select email as e from c) select e as email from t", []Projection{{Name: "email", Ref: "e"}}},
		{"select a from x union all select b from y", nil},
	}
	for _, tt := range tests {
		a, err := db.Analyze(context.Background(), tt.sql)
		if err != nil {
			t.Fatalf("%s: %v", tt.sql, err)
		}
		if len(a.Projections) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(a.Projections, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.sql, a.Projections, tt.want)
		}
	}
}
