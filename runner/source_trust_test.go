package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// peopleSpec reads data/people.csv with the options given and keeps customers spending 100 or more.
func peopleSpec(options string) string {
	return `version: 1
name: people
entity: customer_id
sources:
  people:
    path: data/people.csv
` + options + `
segmentations:
  spenders:
    from: people
    rules:
      - {segment: big, when: "spend >= 100"}
    else: small
`
}

// read_csv's columns option is positional: the spec's order must reach DuckDB as written, not sorted by
// name (which read customer_id from the spend column).
func TestColumnsOptionKeepsTheSpecsOrder(t *testing.T) {
	f := newFixture(t, peopleSpec("    options: {header: true, columns: {customer_id: BIGINT, spend: BIGINT, age: BIGINT}}"), "")
	f.write("data/people.csv", "customer_id,spend,age\n1,100,30\n2,250,41\n3,80,19\n")
	f.mustRun("2024-03-01", nil)
	expectRows(t, "memberships", f.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY entity`),
		`1 "big"`, `2 "big"`, `3 "small"`)
}

// An id column DuckDB sniffs as DOUBLE (too long for BIGINT) cannot key entities: validation says which
// type to declare, instead of the store keeping 1.2345678901234567e+19.
func TestDoubleEntityIsAValidationError(t *testing.T) {
	f := newFixture(t, peopleSpec(""), "")
	f.write("data/people.csv", "customer_id,spend\n12345678901234567891,100\n12345678901234567892,50\n")
	res, err := f.run("2024-03-01", nil)
	if err == nil || res == nil || res.Validation == nil {
		t.Fatalf("want invalid spec, got %v", err)
	}
	d := fmt.Sprint(res.Validation.Diagnostics)
	for _, frag := range []string{"customer_id is DOUBLE", "columns: {customer_id: {type: BIGINT}}", "VARCHAR"} {
		if !strings.Contains(d, frag) {
			t.Errorf("diagnostics lack %q:\n%s", frag, d)
		}
	}
	// Declared as text, every id is kept exactly.
	f = newFixture(t, peopleSpec("    columns: {customer_id: {type: VARCHAR}}"), "")
	f.write("data/people.csv", "customer_id,spend\n12345678901234567891,100\n12345678901234567892,50\n")
	f.mustRun("2024-03-01", nil)
	expectRows(t, "memberships", f.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY entity`),
		`"12345678901234567891" "big"`, `"12345678901234567892" "small"`)
}

// splitSpec reads data/a.csv and data/b.csv as one source with amount declared DOUBLE.
func splitSpec(options string) string {
	return `version: 1
name: split
entity: customer_id
sources:
  orders:
    path: [data/a.csv, data/b.csv]
` + options + `
    columns:
      customer_id: {type: BIGINT}
      amount: {type: DOUBLE}
segmentations:
  buyers:
    from: orders
    rules:
      - {segment: big, when: "amount > 15"}
    else: small
`
}

// Files of one source whose headers disagree were read with amount as VARCHAR, and the rule kernels
// panicked on it. Validation now names both files and the option that reads them by name.
func TestFilesWithDifferentHeadersAreRefused(t *testing.T) {
	f := newFixture(t, splitSpec(""), "")
	f.write("data/a.csv", "customer_id,name,amount\n1,ann,10\n2,bob,20\n")
	f.write("data/b.csv", "customer_id,amount,name\n3,30,cy\n4,5,dee\n")
	res, err := f.run("2024-03-01", nil)
	if err == nil || res == nil || res.Validation == nil || !res.Validation.Diagnostics.HasErrors() {
		t.Fatalf("want invalid spec, got %v", err)
	}
	d := fmt.Sprint(res.Validation.Diagnostics)
	for _, frag := range []string{"a.csv has the columns customer_id, name, amount", "b.csv has customer_id, amount, name", "union_by_name: true"} {
		if !strings.Contains(d, frag) {
			t.Errorf("diagnostics lack %q:\n%s", frag, d)
		}
	}
}

// union_by_name reads each file by its header: the run loads every file with the declared types (DuckDB
// refused it before: no rejects table with union_by_name), and a value that does not parse stops the run
// naming the file and line.
func TestUnionByNameReadsEachFileByItsHeader(t *testing.T) {
	f := newFixture(t, splitSpec("    options: {union_by_name: true}"), "")
	f.write("data/a.csv", "customer_id,name,amount\n1,ann,10\n2,bob,20\n")
	f.write("data/b.csv", "customer_id,amount,name\n3,30,cy\n4,5,dee\n")
	f.mustRun("2024-03-01", nil)
	expectRows(t, "memberships", f.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY entity`),
		`1 "small"`, `2 "big"`, `3 "big"`, `4 "small"`)

	f.write("data/b.csv", "customer_id,amount,name\n3,30,cy\n4,twenty,dee\n")
	f.failsWith("2024-03-02", "source orders", "b.csv:3", `"twenty"`, "amount")
}

// Read by name, a file may lack a declared column altogether, and DuckDB ignores force_not_null: an
// empty value and a missing column both came out NULL and published. not_null is counted after loading,
// naming the file the NULL came from.
func TestUnionByNameEnforcesNotNull(t *testing.T) {
	spec := strings.Replace(splitSpec("    options: {union_by_name: true}"), "amount: {type: DOUBLE}", "amount: {type: DOUBLE, not_null: true}", 1)
	f := newFixture(t, spec, "")
	f.write("data/a.csv", "customer_id,name,amount\n1,ann,10\n2,bob,\n")
	f.write("data/b.csv", "customer_id,amount,name\n3,30,cy\n")
	f.failsWith("2024-03-01", "source orders", "amount", "not_null", "a.csv")

	f.write("data/a.csv", "customer_id,name,amount\n1,ann,10\n")
	f.write("data/b.csv", "customer_id,name\n3,cy\n")
	f.failsWith("2024-03-02", "source orders", "amount", "not_null", "b.csv")
}

// Whatever the reader, a declared column that comes out of the load with another type stops the run,
// naming the source, its files and the column: the rule kernels and every later step trust the contract.
func TestLoadedTypesMustBeTheDeclaredOnes(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, "CREATE TABLE orders AS SELECT 1::BIGINT AS customer_id, '20'::VARCHAR AS amount, 2.5::DECIMAL(18,2) AS price"); err != nil {
		t.Fatal(err)
	}
	e := &execution{db: db}
	r := &sourceRead{SourceRead: &sql.SourceRead{Name: "orders", Files: []string{"data/a.csv", "data/b.csv"}}, step: "source orders"}
	declared := spec.Map[spec.ColumnSpec]{
		{Key: "customer_id", Value: spec.ColumnSpec{Type: "bigint"}},
		{Key: "amount", Value: spec.ColumnSpec{Type: "DOUBLE"}},
		{Key: "price", Value: spec.ColumnSpec{Type: "decimal(18, 2)"}},
		{Key: "note", Value: spec.ColumnSpec{}},
	}
	err = e.checkLoadedTypes(ctx, r, "orders", declared)
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("want a Failure, got %v", err)
	}
	if len(f.Details) != 2 || !strings.Contains(f.Error(), "source orders") ||
		!strings.Contains(f.Details[0], "column amount: read from data/a.csv, data/b.csv as VARCHAR, but declared DOUBLE") {
		t.Errorf("failure:\n%s", f.Error())
	}
	declared[1].Value.Type = "VARCHAR"
	if err := e.checkLoadedTypes(ctx, r, "orders", declared); err != nil {
		t.Errorf("types as declared: %v", err)
	}
}

// truncatedGzip is people.csv of n customers, gzipped and cut in half; named adds a name column.
func truncatedGzip(n int, named bool) string {
	var csv strings.Builder
	csv.WriteString("customer_id,spend")
	if named {
		csv.WriteString(",name")
	}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&csv, "\n%d,%d", i, i%200)
		if named {
			fmt.Fprintf(&csv, ",n%d", i)
		}
	}
	csv.WriteString("\n")
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte(csv.String()))
	w.Close()
	return string(z.Bytes()[:z.Len()/2])
}

// A truncated .csv.gz was reported as a row with too few fields (or, cut between lines, not at all); it is
// reported as the corrupt file it is, by validation when the sniffer trips on it and by the run otherwise.
func TestTruncatedGzipIsReportedAsCorrupt(t *testing.T) {
	data := truncatedGzip(30000, false)
	spec := strings.Replace(peopleSpec("    columns: {customer_id: {type: BIGINT}}"), "data/people.csv", "data/people.csv.gz", 1)
	f := newFixture(t, spec, "")
	f.write("data/people.csv.gz", data)
	f.failsWith("2024-03-01", "source people", "people.csv.gz is corrupt or truncated (gzip: unexpected EOF)")

	// With the dialect given, nothing sniffs: the run reads what decompresses and must not take it as data.
	spec = strings.Replace(peopleSpec(`    options: {auto_detect: false, header: true, delim: ",", columns: {customer_id: BIGINT, spend: BIGINT}}`),
		"data/people.csv", "data/people.csv.gz", 1)
	f = newFixture(t, spec, "")
	f.write("data/people.csv.gz", data)
	f.failsWith("2024-03-01", "source people", "people.csv.gz is corrupt or truncated (gzip: unexpected EOF)")
}

// A quoted field after the sniffer's sample is split at its comma: the report says what to set.
func TestQuoteAfterTheSampleSaysWhatToSet(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("customer_id,spend\n")
	for i := 1; i <= 25000; i++ {
		fmt.Fprintf(&csv, "%d,%d\n", i, i%200)
	}
	csv.WriteString("25001,\"1,000\"\n")
	f := newFixture(t, peopleSpec("    columns: {customer_id: {type: BIGINT}}"), "")
	f.write("data/people.csv", csv.String())
	f.failsWith("2024-03-01", "source people", "1 row does not parse as the declared columns", "people.csv:25002:", "set quote: '\"'", "sample_size")

	// Without declared columns the message claims none.
	f.write("shop.yaml", peopleSpec(""))
	f.failsWith("2024-03-02", "source people", "1 row does not parse as the columns the reader detected", "people.csv:25002:")
}

// DuckDB's CSV errors were one line of about 1,500 characters (the whole dialect, every candidate); the
// message leads with file:line and what to set.
func TestCSVErrorsAreShortAndSayWhatToSet(t *testing.T) {
	f := newFixture(t, peopleSpec(""), "")
	utf16 := []byte{0xff, 0xfe}
	for _, r := range "customer_id,spend\n1,100\n" {
		utf16 = append(utf16, byte(r), 0)
	}
	f.write("data/people.csv", string(utf16))
	res, err := f.run("2024-03-01", nil)
	if err == nil || res == nil || res.Validation == nil {
		t.Fatalf("want invalid spec, got %v", err)
	}
	d := fmt.Sprint(res.Validation.Diagnostics)
	for _, frag := range []string{"people.csv:1: Invalid unicode", "encoding='UTF-16'"} {
		if !strings.Contains(d, frag) {
			t.Errorf("diagnostics lack %q:\n%s", frag, d)
		}
	}
	if len(d) > 500 || strings.Contains(d, "sample_size = ") {
		t.Errorf("diagnostics repeat DuckDB's whole message (%d characters):\n%s", len(d), d)
	}
}

// A declared type is any spelling DuckDB accepts (INT, int4, NUMERIC...): validation works with the type
// DuckDB resolves it to, so the entity check and the rules see INTEGER and DECIMAL(18,3), not the spelling.
func TestDeclaredTypeAliasesAreResolved(t *testing.T) {
	f := newFixture(t, peopleSpec("    columns: {customer_id: {type: int}, spend: {type: NUMERIC}, age: {type: int4}}"), "")
	f.write("data/people.csv", "customer_id,spend,age\n1,100.5,30\n2,99.5,41\n3,250,19\n")
	f.mustRun("2024-03-01", nil)
	expectRows(t, "memberships", f.query(`SELECT entity, segment FROM segrun_store.current_memberships ORDER BY entity`),
		`1 "big"`, `2 "small"`, `3 "big"`)
}
