package rules

import (
	"testing"
	"time"
)

func TestCompileRuleTyped(t *testing.T) {
	env := &Env{Columns: colsOf("recency_days BIGINT", "monetary DECIMAL(18,2)", "country VARCHAR", "signup DATE"),
		Vars: []Var{{Name: "active_days", Value: int64(90)}, {Name: AsOf, Value: time.Now()}}}
	ok := []string{"recency_days <= 30", "monetary > 10.5 && country in ['GB', 'DE']", "recency_days > vars.active_days", "signup < as_of"}
	for _, src := range ok {
		if _, err := compile(src, env); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	bad := []string{"recency_days + 1", "country > 5", "vars.nope > 1", "now() > as_of", "nope == 1"}
	for _, src := range bad {
		if _, err := compile(src, env); err == nil {
			t.Errorf("%s compiled, want an error", src)
		}
	}
}
