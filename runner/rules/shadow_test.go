package rules

import "testing"

func TestRuleBoxes(t *testing.T) {
	consts := map[string]float64{"vars.active_days": 90}
	tests := []struct {
		outer, inner string
		within       bool
	}{
		{"recency_days <= 30", "recency_days <= 10 && frequency >= 8", true},
		{"recency_days <= 30", "recency_days < 30", true},
		{"recency_days < 30", "recency_days <= 30", false},
		{"recency_days > vars.active_days", "200 < recency_days", true},
		{"recency_days > vars.active_days", "recency_days >= 90", false},
		{"recency_days <= 30 && frequency >= 8", "recency_days <= 10", false},
		{"x == 3", "x >= 3 && x <= 3", true},
		{"x > -5", "x > -1", true},
	}
	for _, tt := range tests {
		o, i := ruleBox(tt.outer, consts), ruleBox(tt.inner, consts)
		if o == nil || i == nil {
			t.Fatalf("boxes of %q / %q not built", tt.outer, tt.inner)
		}
		if got := i.within(o); got != tt.within {
			t.Errorf("%q within %q = %v, want %v", tt.inner, tt.outer, got, tt.within)
		}
	}
	for _, src := range []string{"a > 1 || b > 2", "lower(c) == 'x'", "a > b", "vars.unknown > 3 && a > 1", "not (a > 1)"} {
		if ruleBox(src, consts) != nil {
			t.Errorf("%q should not be judged", src)
		}
	}
	if !ruleBox("x > 5 && 3 > x", consts).empty() || !ruleBox("x > 5 && x <= 5", consts).empty() || ruleBox("x >= 5 && x <= 5", consts).empty() {
		t.Error("emptiness misjudged")
	}
}
