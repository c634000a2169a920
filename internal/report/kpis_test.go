package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql/store"
)

// KPI rows (KPI by KPI, segment by segment, oldest first, as store.KPIHistory returns them) become one
// trend per KPI: values in version order, a segment missing from a version a gap, segments in the
// segmentation's order, the latest members; the table formats percent and currency and compares with
// the population.
func TestKPISection(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	row := func(run int64, asOf, kpi, seg, format string, v *float64, members int64) store.KPIRow {
		return store.KPIRow{RunID: run, AsOf: asOf, KPIValue: store.KPIValue{Segmentation: "lifecycle", KPI: kpi, Segment: seg, Value: v, Members: members, Format: format}}
	}
	rows := []store.KPIRow{
		row(1, "2024-01-31", "retention", "", "percent", f(0.5), 100), row(3, "2024-03-31", "retention", "", "percent", f(0.4), 90),
		row(1, "2024-01-31", "retention", "lapsed", "percent", f(0.1), 20), row(3, "2024-03-31", "retention", "lapsed", "percent", nil, 0),
		row(3, "2024-03-31", "retention", "champions", "percent", f(0.9), 30),
		row(1, "2024-01-31", "revenue", "", "currency", f(1234.5), 100),
		row(1, "2024-01-31", "revenue", "champions", "currency", f(2469), 30),
	}
	sec := kpiSection(rows, []string{"champions", "lapsed"})
	if len(sec.KPIs) != 2 || sec.KPIs[0].Name != "retention" || sec.KPIs[1].Name != "revenue" {
		t.Fatalf("KPIs %+v", sec.KPIs)
	}
	ret := sec.KPIs[0]
	got := fmt.Sprint(len(ret.Versions), ret.Segments, *ret.Values[""][0], *ret.Values[""][1], ret.Values["champions"][0] == nil, ret.Members["champions"])
	if want := "2 [champions lapsed] 0.5 0.4 true 30"; got != want {
		t.Errorf("retention trend %s, want %s", got, want)
	}
	s := &Segmentation{Name: "lifecycle", Order: []string{"champions", "lapsed"}}
	v, err := kpiView(s, &sec.KPIs[0])
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range v.Rows {
		lines = append(lines, r.Segment+" "+strings.Join(r.Values, " ")+" "+r.Versus)
	}
	want := "champions – 90.0% +50.0 pp|lapsed 10.0% – |everyone (population) 50.0% 40.0% "
	if got := strings.Join(lines, "|"); got != want {
		t.Errorf("retention table\n%s\nwant\n%s", got, want)
	}
	if v.Chart == nil || !strings.Contains(string(v.Chart.Body), "retention (% of members)") {
		t.Error("the chart's value axis does not say its unit")
	}
	v, _ = kpiView(s, &sec.KPIs[1])
	if got := v.Rows[0].Values[0] + " " + v.Rows[0].Versus + " " + v.Rows[1].Values[0]; got != "2,469.00 x2.00 1,234.50" {
		t.Errorf("revenue table: %s", got)
	}
}

// An audit of the latest version reads as passed, warned or failed, each check a sentence.
func TestAuditViews(t *testing.T) {
	x := 0.3
	s := &Segmentation{Audits: &AuditSection{Results: []methods.AuditResult{
		{Audit: "kpi", Index: 1, Severity: "warn", Status: methods.AuditFail, Against: 1,
			Checks: []methods.AuditCheck{{Segment: "a", KPI: "retention", Measure: "kpi_change", Value: &x, Bound: "max_change", Threshold: 0.2, Failed: true}}},
		{Audit: "size", Index: 2, Severity: "error", Status: methods.AuditNotCompared, Note: "the first version"},
	}}}
	v := auditViews(s)
	if len(v) != 2 || v[0].Status != "failed: warned, published, against version 1" || v[0].StatusCSS != "warn" ||
		v[0].Checks[0].Text != "segment a: retention changed by +30.0%, more than kpi.max_change 20.0%" || v[1].Status != "not compared" {
		t.Errorf("audit views %+v", v)
	}
}
