package runner

import (
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
