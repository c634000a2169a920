package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql/store"
)

// The kpi audit's bounds and relative change per segment and for the population, and how a segment
// without a value, one whose previous value was 0 or missing, and an unknown segment count.
func TestKPIAudit(t *testing.T) {
	params := func(src string) *yaml.Node {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(src), &n); err != nil {
			t.Fatal(err)
		}
		return n.Content[0]
	}
	f := func(x float64) *float64 { return &x }
	kv := func(seg string, v *float64) store.KPIValue {
		return store.KPIValue{Segmentation: "lifecycle", KPI: "retention", Segment: seg, Value: v}
	}
	r := &auditRun{
		version: &store.Version{Segments: []string{"champions", "empty", "lapsed", "new", "regulars", "rowless"}},
		prevRun: 4,
		kpis: []store.KPIValue{kv("", f(0.5)), kv("champions", f(0.9)), kv("lapsed", f(0.05)), kv("new", f(0.4)),
			kv("regulars", f(0.3)), kv("rowless", nil),
			{Segmentation: "lifecycle", KPI: "other", Segment: "regulars", Value: f(100)}},
		prevKPIs: []store.KPIValue{kv("", f(0.6)), kv("champions", f(0.8)), kv("lapsed", f(0)), kv("regulars", f(0.5)),
			kv("rowless", f(0.2))},
		prevKPIsRead: true,
	}
	failed := func(res methods.AuditResult) string {
		var out []string
		for _, c := range res.Checks {
			if c.Failed {
				seg := c.Segment
				if seg == "" {
					seg = "(population)"
				}
				out = append(out, seg+" "+c.Bound)
			}
		}
		return strings.Join(out, ", ")
	}
	res, err := kpiAudit.evaluate(context.Background(), r, params("{name: retention, min: 0.1, max: 0.85, max_change: 0.2}"))
	if err != nil {
		t.Fatal(err)
	}
	// champions 0.9 (+12.5%): above max; lapsed 0.05 from 0: below min, unbounded change; new: no value
	// before, not compared; regulars 0.3 from 0.5 (-40%); empty and rowless have no value: reported only.
	want := "champions max, lapsed min, lapsed max_change, regulars max_change"
	if got := failed(res); got != want || res.Status != methods.AuditFail || res.Against != 4 {
		t.Errorf("failed checks %q (%s), want %q", got, res.Status, want)
	}
	for _, c := range res.Checks {
		if c.Segment == "regulars" && c.Measure == "kpi_change" && (c.Value == nil || fmt.Sprintf("%.4f", *c.Value) != "-0.4000") {
			t.Errorf("regulars' change %v, want -0.4 (relative to the previous value)", c.Value)
		}
		if (c.Segment == "empty" || c.Segment == "rowless") && (c.Failed || c.Bound != "" || c.Note == "") {
			t.Errorf("a segment without a value is reported, not held to a bound: %+v", c)
		}
	}
	// The population alone; with segments, both.
	res, _ = kpiAudit.evaluate(context.Background(), r, params("{name: retention, max_change: 0.1, population: true}"))
	if len(res.Checks) != 1 || res.Checks[0].Segment != "" || !res.Checks[0].Failed {
		t.Errorf("population: %+v", res.Checks)
	}
	res.Audit, res.Index = "kpi", 2 // the caller's
	if got := res.Failures(); len(got) != 1 || got[0] != "audit 2, kpi: population: retention changed by -16.7%, more than kpi.max_change 10.0% (0.6 in version 4, 0.5 now)" {
		t.Errorf("population's failure reads %q", got)
	}
	res, _ = kpiAudit.evaluate(context.Background(), r, params("{name: retention, min: 0.35, population: true, segments: [champions, regulars, nosuch]}"))
	if got := failed(res); got != "regulars min, nosuch " {
		t.Errorf("population and named segments: failed %q", got)
	}
	// A negative previous value: the change is relative to its magnitude, so a rise is positive.
	neg := &auditRun{version: r.version, prevRun: 1, prevKPIsRead: true,
		kpis: []store.KPIValue{kv("", f(-5))}, prevKPIs: []store.KPIValue{kv("", f(-10))}}
	res, _ = kpiAudit.evaluate(context.Background(), neg, params("{name: retention, max_change: 0.6, population: true}"))
	if c := res.Checks[0]; c.Value == nil || *c.Value != 0.5 || c.Failed {
		t.Errorf("from -10 to -5: %+v", c)
	}
	// The first version: no change to check; min and max hold it still.
	first := &auditRun{version: r.version, kpis: r.kpis}
	res, _ = kpiAudit.evaluate(context.Background(), first, params("{name: retention, max_change: 0.2}"))
	if res.Status != methods.AuditNotCompared || failed(res) != "" || res.Note == "" {
		t.Errorf("first version, max_change only: %+v", res)
	}
	res, _ = kpiAudit.evaluate(context.Background(), first, params("{name: retention, max: 0.85}"))
	if res.Status != methods.AuditFail {
		t.Errorf("first version, max: %+v", res)
	}
	// A previous version without the KPI (added since): nothing to compare, said so.
	added := &auditRun{version: r.version, kpis: r.kpis, prevRun: 2, prevKPIsRead: true}
	res, _ = kpiAudit.evaluate(context.Background(), added, params("{name: retention, max_change: 0.2}"))
	if res.Status != methods.AuditNotCompared || !strings.Contains(res.Note, "no values of KPI retention") {
		t.Errorf("KPI added since the previous version: %+v", res)
	}
}
