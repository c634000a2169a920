package methods

import "testing"

// Audit checks read as their measures are documented (docs/spec.md "audits"): shares and relative changes
// as percentages, a KPI in its format, an index as a number; the stored JSON keeps the raw values.
func TestAuditCheckDescribeFormats(t *testing.T) {
	v := func(f float64) *float64 { return &f }
	for _, c := range []struct {
		check AuditCheck
		audit string
		want  string
	}{
		{AuditCheck{Segment: "champions", Measure: "share", Value: v(0.0213), Bound: "min", Threshold: 0.02}, "size",
			"segment champions: share 2.1%, at or above size.min 2.0%"},
		{AuditCheck{Segment: "tiny", Measure: "share", Value: v(0.0004), Bound: "min", Threshold: 0.01, Failed: true}, "size",
			"segment tiny: share 0.04%, below size.min 1.0%"},
		{AuditCheck{Segment: "regulars", Measure: "share_change", Value: v(0.3235), Bound: "max_change", Threshold: 0.25, Failed: true}, "size",
			"segment regulars: share changed by +32.4%, more than size.max_change 25.0%"},
		{AuditCheck{Column: "monetary", Measure: "psi", Value: v(0.0213), Bound: "psi", Threshold: 0.25}, "drift",
			"column monetary: PSI 0.0213, at or below drift.psi 0.25"},
		{AuditCheck{Measure: "ari", Value: v(0.91), Bound: "min_ari", Threshold: 0.8}, "stability",
			"adjusted Rand index 0.91, at or above stability.min_ari 0.8"},
		{AuditCheck{Segment: "champions", KPI: "retention_90d", Measure: "kpi", Value: v(0.4312), Bound: "min", Threshold: 0.3, Format: "percent"}, "kpi",
			"segment champions: retention_90d 43.1%, at or above kpi.min 30.0%"},
		{AuditCheck{KPI: "revenue_90d", Measure: "kpi", Value: v(57.657), Bound: "max", Threshold: 100, Format: "currency"}, "kpi",
			"population: revenue_90d 57.66, at or below kpi.max 100"},
		{AuditCheck{KPI: "revenue_90d", Measure: "kpi_change", Value: v(-0.12), Bound: "max_change", Threshold: 0.2, Format: "currency"}, "kpi",
			"population: revenue_90d changed by -12.0%, within kpi.max_change 20.0%"},
	} {
		if got := c.check.Describe(c.audit); got != c.want {
			t.Errorf("%s check reads\n  %q, want\n  %q", c.check.Measure, got, c.want)
		}
	}
}
