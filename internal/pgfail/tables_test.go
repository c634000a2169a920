package pgfail

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/cli"
)

// A source table that does not exist, a declared type the table's column does not have, and a declared
// column the table lacks are the spec's mistakes: exit 1 at validate and at run (a run validates first),
// at the spec's file:line:col, naming the source, the table and the column; the store untouched.
func TestSourceTablesThatDoNotMatch(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_tables")
	before := snapshot(t, conn, "fail_tables")
	for _, tc := range []struct {
		name, spec string
		wants      []string
	}{
		{"a table that does not exist", strings.Replace(specText(goodColumns, "sum(amount) AS monetary"), "table: pgfail_sales.orders", "table: pgfail_sales.ordres", 1),
			[]string{"missing.yaml:9:12: error: source orders: table pgfail_sales.ordres: relation \"pgfail_sales.ordres\" does not exist"}},
		{"declared BIGINT, the table's column is text", specText(goodColumns+"      note: {type: BIGINT}\n", "sum(amount) AS monetary"),
			[]string{"missing.yaml:13:20: error: source orders: column note is VARCHAR in table pgfail_sales.orders, declared BIGINT"}},
		{"a declared column the table lacks", specText(goodColumns+"      discount: {type: DOUBLE}\n", "sum(amount) AS monetary"),
			[]string{`missing.yaml:13:7: error: source orders has no column "discount" (it has customer_id, amount, ordered_at, note)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := writeSpec(t, "missing.yaml", tc.spec)
			stdout, stderr, code := segrun(t, srv.DSN, "validate", spec)
			expect(t, "validate", code, stdout, stderr, cli.ExitInvalid, tc.wants...)
			stdout, stderr, code = segrun(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, spec)
			expect(t, "run", code, stdout, stderr, cli.ExitInvalid, append(tc.wants, "the spec is invalid; nothing was run")...)
		})
	}
	sameStore(t, conn, "fail_tables", before)
	noRunSchemaLeft(t, conn)
}
