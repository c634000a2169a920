package definitions

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql/store"
)

// A KPI's table keeps the latest TrendVersions versions, the segments in the document's order (then any
// only the store has), the population last, each value formatted as the KPI reads and the latest against
// the population's.
func TestKPITable(t *testing.T) {
	f := func(x float64) *float64 { return &x }
	var rows []store.KPIRow
	for run := int64(1); run <= TrendVersions+2; run++ {
		asOf := fmt.Sprintf("2024-%02d-28", run)
		rows = append(rows,
			store.KPIRow{RunID: run, AsOf: asOf, KPIValue: store.KPIValue{KPI: "retention", Segment: "", Value: f(0.5), Format: "percent"}},
			store.KPIRow{RunID: run, AsOf: asOf, KPIValue: store.KPIValue{KPI: "retention", Segment: "zeta", Value: f(0.1 * float64(run)), Format: "percent"}},
			store.KPIRow{RunID: run, AsOf: asOf, KPIValue: store.KPIValue{KPI: "retention", Segment: "alpha", Format: "percent"}})
	}
	k := kpiTable("retention", rows, []Segment{{Name: "zeta"}, {Name: "alpha"}})
	if len(k.Versions) != TrendVersions || k.Versions[0].Run != 3 {
		t.Errorf("versions %v, want the latest %d", k.Versions, TrendVersions)
	}
	var got []string
	for _, r := range k.Rows {
		got = append(got, r.Segment+" "+r.Values[0]+" "+r.Values[len(r.Values)-1]+" "+r.Versus)
	}
	if want := "zeta 30.0% 80.0% +30.0 pp|alpha – – –|(population) 50.0% 50.0% –"; strings.Join(got, "|") != want {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	for v, want := range map[float64]string{1234.5: "1,234.50", -0.004: "0.00", 0.999: "1.00", -1234567.891: "-1,234,567.89"} {
		if got := kpiValue("currency", &v); got != want {
			t.Errorf("currency %v reads %q, want %q", v, got, want)
		}
	}
}
