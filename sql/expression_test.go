package sql

import (
	"context"
	"testing"
)

// A KPI's value is put into segrun's own statement: anything but one expression over the table's
// columns is refused before it gets there.
func TestCheckExpressionAcceptsOneExpressionOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, ok := range []string{"avg(x)", "sum(x) FILTER (WHERE y > 1) / count(*)", "avg(ordered::INT)", "CASE WHEN count(*) > 0 THEN 1 END"} {
		if err := CheckExpression(ctx, db, ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "avg(x); DROP TABLE t", "avg(x) -- comment", "avg(x) FROM t UNION SELECT 1",
		"avg(x) FROM t WHERE true AND 1", "(SELECT 1)", "x IN (SELECT y FROM t)", "avg(x) AS v", "avg(x", "avg(x) FROM read_csv('f.csv'),"} {
		if err := CheckExpression(ctx, db, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
