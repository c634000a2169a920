package runner

import (
	"fmt"
	"strings"
	"testing"
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

var _ = strings.Contains

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
