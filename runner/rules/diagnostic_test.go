package rules

import (
	"strings"
	"testing"
)

// A type mismatch names the columns the rule reads and their types: expr's own message names only Go
// types ("mismatched types string and int"), leaving the user to guess which column is text.
func TestTypeMismatchNamesTheColumns(t *testing.T) {
	env := &Env{Columns: colsOf("customer_id VARCHAR", "amount VARCHAR", "orders BIGINT")}
	d := Check("orders >= 1 && amount > 1", "o", env)
	if d == nil || d.Code != "rule.type" {
		t.Fatalf("diagnostic %+v, want a rule.type error", d)
	}
	for _, want := range []string{"the rule reads orders (BIGINT), amount (VARCHAR)", "declared in the source's columns"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message %q lacks %q", d.Message, want)
		}
	}
}
