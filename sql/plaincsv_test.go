package sql

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// pinnedOptions is what SniffCSV pins for a plain comma-separated file.
func pinnedOptions(cols []Column, header bool) map[string]any {
	o := map[string]any{"auto_detect": false, "delim": ",", "quote": "", "escape": "", "new_line": `\n`, "comment": "",
		"skip": int64(0), "header": header, "columns": cols}
	for _, c := range cols {
		if c.Type == "DATE" { // the sniffer pins the format of the dates it found
			o["dateformat"] = isoDateFormat
		}
	}
	return o
}

// plainAgainstDuckDB reads path with DuckDB's reader into table duck and with the plain reader into table
// plain. plainOK says the plain reader read it all; then DuckDB must have read it too, into the same rows
// in the same order, compared as text so that -0.0 and 0.0, or 1.10 and 1.1, differ. It returns the plain
// reader's error.
func plainAgainstDuckDB(t *testing.T, db *DB, path string, cols []Column, header bool) (plainOK bool, plainErr error) {
	t.Helper()
	return plainAgainstDuckDBWith(t, db, path, pinnedOptions(cols, header))
}

// crlfOptions are pinnedOptions for a file whose lines end with "\r\n".
func crlfOptions(cols []Column, header bool) map[string]any {
	o := pinnedOptions(cols, header)
	o["new_line"] = `\r\n`
	return o
}

// plainAgainstDuckDBWith is plainAgainstDuckDB with the pinned options given.
func plainAgainstDuckDBWith(t *testing.T, db *DB, path string, opts map[string]any) (plainOK bool, plainErr error) {
	t.Helper()
	ctx := context.Background()
	cols := opts["columns"].([]Column)
	duckErr := db.Exec(ctx, "CREATE OR REPLACE TABLE duck AS SELECT * FROM "+ReadSQL("csv", []string{path}, opts))
	p, why := PlainCSVFor([]string{path}, opts)
	if p == nil {
		t.Fatalf("no plain reader for %v: %s", cols, why)
	}
	r := p.Reader([]string{path}, 2)
	defer r.Release()
	err := db.WithArrow(ctx, func(a *Arrow) error {
		release, err := a.RegisterView(r, "plain_view")
		if err != nil {
			return err
		}
		defer release()
		return a.Exec("CREATE OR REPLACE TABLE plain AS SELECT * FROM plain_view")
	})
	if err != nil || r.Err() != nil || !r.Complete() {
		if r.Err() != nil && !errors.Is(r.Err(), ErrNotPlain) {
			if _, statErr := os.Stat(path); statErr == nil {
				t.Errorf("%s: the plain reader failed with %v, not ErrNotPlain", path, r.Err())
			}
		}
		return false, r.Err()
	}
	if duckErr != nil {
		content, _ := os.ReadFile(path)
		t.Errorf("the plain reader read %q, which DuckDB rejects: %v", truncated(content), duckErr)
		return true, nil
	}
	text := func(table string) string {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("coalesce(%s::VARCHAR, '<NULL>')", Ident(c.Name))
		}
		return "SELECT rowid, " + strings.Join(parts, ", ") + " FROM " + table
	}
	var n, m, diff int64
	q := fmt.Sprintf("SELECT (SELECT count(*) FROM duck), (SELECT count(*) FROM plain), (SELECT count(*) FROM ((%[1]s EXCEPT ALL %[2]s) UNION ALL (%[2]s EXCEPT ALL %[1]s)))",
		text("duck"), text("plain"))
	if err := db.QueryRow(ctx, q).Scan(&n, &m, &diff); err != nil {
		t.Fatal(err)
	}
	if n != m || diff != 0 {
		var sample string
		_ = db.QueryRow(ctx, fmt.Sprintf("SELECT string_agg(x, ' | ') FROM (SELECT d::VARCHAR || ' vs ' || p::VARCHAR AS x FROM (%s) d JOIN (%s) p ON d.rowid = p.rowid WHERE d::VARCHAR <> p::VARCHAR LIMIT 3)", text("duck"), text("plain"))).Scan(&sample)
		t.Errorf("%s: DuckDB read %d rows, the plain reader %d, %d differ: %s", path, n, m, diff, sample)
	}
	return true, nil
}

func truncated(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPlainValuesMatchDuckDB holds every value the plain reader accepts to DuckDB's reading of it, type
// by type: the plain ones must be read (or the reader would never be used), and of the others each must
// either stop the reader or come out exactly as DuckDB reads it.
func TestPlainValuesMatchDuckDB(t *testing.T) {
	cases := []struct {
		typ          string
		plain, other []string
	}{
		{"BIGINT", []string{"0", "7", "-7", "007", "-0", "9223372036854775807", "-9223372036854775808", "1234567890123", ""},
			[]string{"+5", " 5", "5 ", "1e3", "1.0", "1_000", "9223372036854775808", "-9223372036854775809", "0x10", "--1", "-", "1-", "١"}},
		{"INTEGER", []string{"2147483647", "-2147483648", "0", "42"},
			[]string{"2147483648", "-2147483649", "99999999999"}},
		{"DOUBLE", []string{"54.18", "-0.5", "0", "-0", "-0.0", "123456789012345", "1.5e3", "2.5E-3", "1e22", "0.1", "0.30000000000000004",
			"9007199254740993", "1234567890.123456789", "4.9e-324", "1.7976931348623157e308", "100", "1e-400", "12345678901234567890123"},
			[]string{".5", "5.", "inf", "nan", "NaN", "1e400", "1,5", "1e", "1e+", "+1", " 1", "0x1p3", "1_0"}},
		{"DECIMAL(12,2)", []string{"54.18", "-0.01", "0", "00012.5", "9999999999.99", "-9999999999.99", "7", "0.5", "-0"},
			[]string{"54.181", "99999999999.00", "1e2", ".5", "5.", "+5", "1,00"}},
		{"DECIMAL(4,4)", []string{"0.1234", "0", "-0.0001", "0.5"}, []string{"1.0", "0.12345", "1"}},
		{"DECIMAL(18,3)", []string{"999999999999999.999", "-123456789012345.678", "1"}, []string{"9999999999999999.000"}},
		{"DATE", []string{"2024-02-29", "1970-01-01", "0001-01-01", "9999-12-31", "1899-12-31", "2100-03-01", "2000-02-29", "1969-12-31", "1600-02-29"},
			[]string{"2023-02-29", "1900-02-29", "2024-1-5", "2024/01/05", "20240105", "2024-13-01", "2024-00-10", "2024-01-00", "0000-01-01", "2024-01-32", "2024-01-05 00:00:00"}},
		{"TIMESTAMP", []string{"2024-02-29 23:59:59", "2024-01-01", "2024-01-01 00:00:00.5", "2024-01-01 00:00:00.123456", "1969-12-31 23:59:59.999999",
			"0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "1900-01-01 12:00:00", "2100-12-31 00:00:01"},
			[]string{"2024-01-01T00:00:00", "2024-01-01 24:00:00", "2024-01-01 00:00:60", "2024-01-01 00:60:00", "2024-01-01 00:00:00.1234567", "2024-01-01 00:00:00+01",
				"2024-01-01 00:00", "2024-01-01 0:00:00", "2024-01-01 00:00:00.", "2024-01-01 00:00:00 ", "2024-01-01  00:00:00"}},
		{"VARCHAR", []string{"abc", "héllo", "", " spaced ", "a;b", "tab\there", "日本"},
			[]string{`"quoted"`, `a"b`, "a\rb", "\xff\xfe", "a\x00b"}},
	}
	db := openTest(t)
	dir := t.TempDir()
	for _, c := range cases {
		cols := []Column{{Name: "id", Type: "BIGINT"}, {Name: "v", Type: c.typ}}
		for i, v := range append(append([]string{}, c.plain...), c.other...) {
			path := writeFile(t, dir, fmt.Sprintf("v%d.csv", i), "id,v\n1,"+v+"\n2,"+v+"\n")
			ok, err := plainAgainstDuckDB(t, db, path, cols, true)
			if i < len(c.plain) && !ok {
				t.Errorf("%s %q: the plain reader gave way (%v), but the value is plain", c.typ, v, err)
			}
		}
	}
}

// randomPlainValue writes a random plain value of typ, or nothing (NULL) now and then.
func randomPlainValue(rng *rand.Rand, typ string) string {
	if rng.IntN(20) == 0 {
		return ""
	}
	switch typ {
	case "BIGINT":
		return fmt.Sprint(rng.Int64() >> rng.IntN(63) * int64(1-2*rng.IntN(2)))
	case "INTEGER":
		return fmt.Sprint(int32(rng.Uint32()) >> rng.IntN(31))
	case "DOUBLE":
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprintf("%.2f", rng.NormFloat64()*1000)
		case 1:
			return fmt.Sprint(rng.NormFloat64() * 1e6)
		}
		return fmt.Sprintf("%de%d", rng.IntN(1000), rng.IntN(40)-20)
	case "DECIMAL(12,2)":
		return fmt.Sprintf("%.*f", rng.IntN(3), (rng.Float64()-0.5)*2e9)
	case "DATE":
		return time.Unix(rng.Int64N(4e9)-2e9, 0).UTC().Format(time.DateOnly)
	case "TIMESTAMP":
		ts := time.Unix(rng.Int64N(4e9)-2e9, rng.Int64N(1e9)).UTC()
		switch rng.IntN(3) {
		case 0:
			return ts.Format(time.DateTime)
		case 1:
			return ts.Format("2006-01-02 15:04:05.000000")
		}
		return ts.Format("2006-01-02 15:04:05.999")
	}
	letters := []string{"a", "b", "é", " ", "-", "x", "日", "."}
	var b strings.Builder
	for range rng.IntN(12) {
		b.WriteString(letters[rng.IntN(len(letters))])
	}
	return b.String()
}

// TestPlainCSVMatchesDuckDB reads files of several megabytes, so that they span many of the reader's
// chunks, with every type the reader parses, and holds the result to DuckDB's, row by row.
func TestPlainCSVMatchesDuckDB(t *testing.T) {
	types := []string{"BIGINT", "INTEGER", "DOUBLE", "DECIMAL(12,2)", "DATE", "TIMESTAMP", "VARCHAR"}
	cols := make([]Column, len(types))
	names := make([]string, len(types))
	for i, typ := range types {
		cols[i] = Column{Name: fmt.Sprintf("c%d", i), Type: typ}
		names[i] = cols[i].Name
	}
	db := openTest(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name                  string
		header, trailer, crlf bool
	}{{"header", true, true, false}, {"no trailing newline", true, false, false}, {"no header", false, true, false},
		{"CRLF", true, true, true}, {"CRLF without the last line end", true, false, true}, {"CRLF no header", false, true, true}} {
		eol := "\n"
		if tc.crlf {
			eol = "\r\n"
		}
		var b strings.Builder
		if tc.header {
			b.WriteString(strings.Join(names, ",") + eol)
		}
		for r := range 60000 {
			for i, typ := range types {
				if i > 0 {
					b.WriteByte(',')
				}
				if i == 0 && rng.IntN(20) != 0 {
					b.WriteString(fmt.Sprint(r)) // mostly a row number, to line rows up when they differ
					continue
				}
				b.WriteString(randomPlainValue(rng, typ))
			}
			b.WriteString(eol)
		}
		content := b.String()
		if !tc.trailer {
			content = strings.TrimSuffix(content, eol)
		}
		path := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".csv", content)
		opts := pinnedOptions(cols, tc.header)
		if tc.crlf {
			opts = crlfOptions(cols, tc.header)
		}
		if ok, err := plainAgainstDuckDBWith(t, db, path, opts); !ok {
			t.Errorf("%s: the plain reader gave way on plain data: %v", tc.name, err)
		}
	}
}

// TestPlainCSVGivesWay checks that what is not plain stops the reader, wherever in the file it is: the
// first chunk or one DuckDB would have read long after the start.
func TestPlainCSVGivesWay(t *testing.T) {
	db := openTest(t)
	dir := t.TempDir()
	cols := []Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "VARCHAR"}}
	var body strings.Builder
	for i := range 200000 {
		fmt.Fprintf(&body, "%d,row %d\n", i, i)
	}
	for _, tc := range []struct{ name, content string }{
		{"quote late", body.String() + `7,"quoted, with a comma"` + "\n"},
		{"quote early", `7,"x"` + "\n" + body.String()},
		{"blank line", body.String() + "\n8,x\n"},
		{"too few fields", body.String() + "8\n"},
		{"too many fields", body.String() + "8,x,y\n"},
		{"carriage return", strings.ReplaceAll(body.String(), "\n", "\r\n")},
		{"bad number", body.String() + "8.5,x\n"},
		{"not UTF-8", body.String() + "8,\xff\n"},
		{"header differs", "a,c\n1,x\n"},
		{"byte order mark later", "a,b\n1,x\n\ufeff2,y\n"},
		{"empty file", ""},
	} {
		content := tc.content
		if tc.name != "header differs" && tc.name != "byte order mark later" && tc.name != "empty file" {
			content = "a,b\n" + content
		}
		path := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".csv", content)
		ok, err := plainAgainstDuckDB(t, db, path, cols, true)
		if ok || !errors.Is(err, ErrNotPlain) {
			t.Errorf("%s: read %v, err %v; want the reader to give way with ErrNotPlain", tc.name, ok, err)
		}
	}
	// With "\r\n" pinned, every line must end so (DuckDB's strict mode refuses the rest).
	crlf := strings.ReplaceAll(body.String(), "\n", "\r\n")
	for _, tc := range []struct{ name, content string }{
		{"a bare line feed", crlf + "8,x\n9,y\r\n"},
		{"a bare line feed first", "8,x\n" + crlf},
		{"a carriage return in a value", crlf + "8,x\ry\r\n"},
		{"a carriage return before a number", crlf + "8,x\r19,y\r\n"},
		{"a carriage return after a number", crlf + "8\r,x\r\n"},
		{"a carriage return at the end", crlf + "8,x\r"},
		{"a blank line", crlf + "\r\n8,x\r\n"},
		{"too few fields", crlf + "8\r\n"},
		{"the header without a carriage return", "a,b\n" + crlf},
	} {
		content := tc.content
		if !strings.HasPrefix(content, "a,b") {
			content = "a,b\r\n" + content
		}
		path := writeFile(t, dir, "crlf_"+strings.ReplaceAll(tc.name, " ", "_")+".csv", content)
		ok, err := plainAgainstDuckDBWith(t, db, path, crlfOptions(cols, true))
		if ok || !errors.Is(err, ErrNotPlain) {
			t.Errorf("CRLF, %s: read %v, err %v; want the reader to give way with ErrNotPlain", tc.name, ok, err)
		}
	}
}

// DuckDB skips a byte order mark at the start of a file, before a header or before the first value.
func TestPlainCSVSkipsByteOrderMark(t *testing.T) {
	db := openTest(t)
	dir := t.TempDir()
	cols := []Column{{Name: "name", Type: "VARCHAR"}, {Name: "n", Type: "BIGINT"}}
	for name, tc := range map[string]struct {
		content string
		header  bool
	}{
		"header":    {"\ufeffname,n\nAlice,10\nBob,20\n", true},
		"no header": {"\ufeffAlice,10\nBob,20\n", false},
	} {
		path := writeFile(t, dir, strings.ReplaceAll(name, " ", "_")+".csv", tc.content)
		if ok, err := plainAgainstDuckDB(t, db, path, cols, tc.header); !ok {
			t.Errorf("%s: the plain reader gave way: %v", name, err)
		}
	}
}

// A reader released half way stops its goroutines.
func TestPlainCSVReleaseStops(t *testing.T) {
	dir := t.TempDir()
	var body strings.Builder
	body.WriteString("a\n")
	for i := range 1000000 {
		fmt.Fprintf(&body, "%d\n", i)
	}
	path := writeFile(t, dir, "big.csv", body.String())
	before := runtime.NumGoroutine()
	p := &PlainCSV{Columns: []Column{{Name: "a", Type: "BIGINT"}}, Delim: ',', Header: true}
	r := p.Reader([]string{path}, 2)
	if !r.Next() {
		t.Fatal(r.Err())
	}
	r.Release()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines after release, %d before", runtime.NumGoroutine(), before)
}

func TestPlainCSVFor(t *testing.T) {
	cols := []Column{{Name: "a", Type: "BIGINT"}}
	if p, why := PlainCSVFor([]string{"a.csv"}, pinnedOptions(cols, true)); p == nil {
		t.Errorf("pinned plain options: %s", why)
	}
	for name, mod := range map[string]func(map[string]any){
		"semicolons are fine":  func(o map[string]any) { o["delim"] = ";" },
		"not pinned":           func(o map[string]any) { o["auto_detect"] = true },
		"a date format":        func(o map[string]any) { o["dateformat"] = "%d/%m/%Y" },
		"ISO dates are fine":   func(o map[string]any) { o["dateformat"] = "%Y-%m-%d" },
		"quoting":              func(o map[string]any) { o["quote"] = "'" },
		"a comment":            func(o map[string]any) { o["comment"] = "#" },
		"skipped lines":        func(o map[string]any) { o["skip"] = int64(2) },
		"CRLF is fine":         func(o map[string]any) { o["new_line"] = `\r\n` },
		"a bare CR":            func(o map[string]any) { o["new_line"] = `\r` },
		"a two-byte delimiter": func(o map[string]any) { o["delim"] = "||" },
		"a dash delimiter":     func(o map[string]any) { o["delim"] = "-" },
		"a space delimiter":    func(o map[string]any) { o["delim"] = " " },
		"a type it leaves":     func(o map[string]any) { o["columns"] = []Column{{Name: "a", Type: "HUGEINT"}} },
		"a user's null string": func(o map[string]any) { o["nullstr"] = "NA" },
	} {
		o := pinnedOptions(cols, true)
		mod(o)
		p, _ := PlainCSVFor([]string{"a.csv"}, o)
		if (p != nil) != strings.HasSuffix(name, "fine") {
			t.Errorf("%s: plain reader %v", name, p != nil)
		}
	}
	for _, path := range []string{"a*.csv", "a.csv.gz", "a.csv.zst", "A.CSV.GZ", "s3://bucket/a.csv"} {
		if p, _ := PlainCSVFor([]string{path}, pinnedOptions(cols, true)); p != nil {
			t.Errorf("%s: plain reader for a path DuckDB resolves itself", path)
		}
	}
}

// FuzzPlainCSV feeds arbitrary bytes to the plain reader: it must never panic, and whatever it reads must
// be what DuckDB reads.
func FuzzPlainCSV(f *testing.F) {
	for _, s := range []string{"1,2.5,2024-01-01 10:00:00,x,3.25,2024-01-31\n", "-7,,2024-02-29,,0,\n2,1e3,1970-01-01 00:00:00.5,é,-1.5,0001-01-01\n",
		"9223372036854775807,-0,9999-12-31 23:59:59.999999, y ,99.99,9999-12-31", "1,2.5,2024-01-01,x,3.25,2024-02-30\r\n-7,,2024-02-29,,,2024-1-5\r\n",
		"1,1,2024-01-01,x,1,2024-01-01 00:00:00\n2,2,2024-01-01,x,1, 2024-01-01\n"} {
		f.Add(s)
	}
	cols := []Column{{Name: "a", Type: "BIGINT"}, {Name: "b", Type: "DOUBLE"}, {Name: "c", Type: "TIMESTAMP"},
		{Name: "d", Type: "VARCHAR"}, {Name: "e", Type: "DECIMAL(6,2)"}, {Name: "f", Type: "DATE"}}
	db, err := Open(context.Background(), "", Options{Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := writeFile(t, dir, "fuzz.csv", "a,b,c,d,e,f\n"+body)
		plainAgainstDuckDB(t, db, path, cols, true)
		// The same bytes as a file whose lines end with "\r\n".
		path = writeFile(t, dir, "fuzz_crlf.csv", "a,b,c,d,e,f\r\n"+body)
		plainAgainstDuckDBWith(t, db, path, crlfOptions(cols, true))
	})
}
