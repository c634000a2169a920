package cli

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/sql/store"
)

// run runs segrun in-process and fails the test unless it exits with want.
func runWant(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Run(args, &out, &errOut); code != want {
		t.Fatalf("segrun %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
	}
	return out.String()
}

// The flagship demo end to end, as make demo runs it, then segrun measure on its simulated campaign: the
// measured lift's interval covers the simulated truth (examples/campaign.go), and every count and
// statistic matches scripts/measure_reference.py's independent computation (pandas for the join and the
// window, statsmodels and scipy for the statistics) on the same data, cli/testdata/measure.
func TestMeasureFlagshipCampaign(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the flagship demo (about 15 s)")
	}
	dir := t.TempDir()
	spec := filepath.Join(dir, "retail.yaml")
	runWant(t, ExitOK, "demo", dir)
	runWant(t, ExitOK, "run", spec, "--as-of", "2024-09-30")
	runWant(t, ExitOK, "run", spec, "--as-of", "2024-12-31")
	src, err := os.ReadFile(filepath.Join("testdata", "measure", "flagship_campaign.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Events   int64                      `json:"events"`
		Outcomes map[string][]referenceLift `json:"outcomes"`
	}
	if err := json.Unmarshal(src, &golden); err != nil {
		t.Fatal(err)
	}
	// The truth: the rates the generator drew with; revenue per member is the rate times the orders a
	// converted customer places times an order's mean (its exponential mean, plus the cent added).
	orders := 1 + examples.CampaignSecondOrder
	truth := map[string]float64{
		"conversions":      examples.CampaignTreatmentRate - examples.CampaignControlRate,
		"campaign_revenue": (examples.CampaignTreatmentRate - examples.CampaignControlRate) * orders * (examples.CampaignOrderMean + 0.01),
	}
	for outcome, want := range golden.Outcomes {
		var m store.Measurement
		if err := json.Unmarshal([]byte(runWant(t, ExitOK, "measure", "winback_email", "--outcome", outcome, spec, "--format", "json")), &m); err != nil {
			t.Fatal(err)
		}
		if m.Run != 2 || m.WindowDays != 30 || m.Events != golden.Events {
			t.Errorf("%s: version %d, window %d days, %d events; want 2, 30, %d", outcome, m.Run, m.WindowDays, m.Events, golden.Events)
		}
		if l := m.Overall.Lift; l == nil || l.Absolute.Low > truth[outcome] || l.Absolute.High < truth[outcome] {
			t.Errorf("%s: the interval %+v does not cover the simulated lift %g", outcome, l, truth[outcome])
		}
		got := append([]store.MeasuredGroup{m.Overall}, m.Segments...)
		if len(got) != len(want) {
			t.Fatalf("%s: %d comparisons, the reference has %d", outcome, len(got), len(want))
		}
		for i, w := range want {
			w.check(t, outcome, got[i])
		}
	}
}

// referenceLift is one comparison as scripts/measure_reference.py computed it.
type referenceLift struct {
	Segmentation string `json:"segmentation"`
	Segment      string `json:"segment"`
	Treatment    struct {
		Members   int     `json:"members"`
		Successes int     `json:"successes"`
		Mean      float64 `json:"mean"`
	} `json:"treatment"`
	Control struct {
		Members   int     `json:"members"`
		Successes int     `json:"successes"`
		Mean      float64 `json:"mean"`
	} `json:"control"`
	Absolute  *struct{ Value, Low, High float64 } `json:"absolute"`
	Statistic float64                             `json:"statistic"`
	PValue    float64                             `json:"p_value"`
	// PValueHolm is statsmodels' multipletests(method='holm') over the segments' p-values; nil overall.
	PValueHolm *float64 `json:"p_value_holm"`
}

func (w referenceLift) check(t *testing.T, outcome string, g store.MeasuredGroup) {
	t.Helper()
	at := outcome + " " + w.Segmentation + ":" + w.Segment
	if g.Segmentation != w.Segmentation || g.Segment != w.Segment {
		t.Errorf("%s: got the comparison of %s:%s", at, g.Segmentation, g.Segment)
		return
	}
	if g.Treatment.N != w.Treatment.Members || g.Control.N != w.Control.Members || g.Treatment.Successes != w.Treatment.Successes || g.Control.Successes != w.Control.Successes {
		t.Errorf("%s: groups %+v / %+v, the reference's %+v / %+v", at, g.Treatment, g.Control, w.Treatment, w.Control)
	}
	if w.Absolute == nil {
		return // a group too small for the reference to compute; segrun's own notes say why
	}
	if g.Lift == nil {
		t.Errorf("%s: no lift, the reference has %+v", at, *w.Absolute)
		return
	}
	near := func(what string, got, want float64) {
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: %s %.15g, the reference's %.15g", at, what, got, want)
		}
	}
	near("lift", g.Lift.Absolute.Value, w.Absolute.Value)
	near("low", g.Lift.Absolute.Low, w.Absolute.Low)
	near("high", g.Lift.Absolute.High, w.Absolute.High)
	near("statistic", g.Lift.Statistic, w.Statistic)
	near("p-value", g.Lift.PValue, w.PValue)
	switch {
	case (w.PValueHolm == nil) != (g.PValueHolm == nil):
		t.Errorf("%s: Holm-adjusted p-value %v, the reference's %v", at, g.PValueHolm, w.PValueHolm)
	case w.PValueHolm != nil:
		near("Holm-adjusted p-value", *g.PValueHolm, *w.PValueHolm)
	}
}

// A spec, or any file that is not DuckDB's, given as --store is a usage error naming the flag (exit 2):
// segrun measure --store retail.yaml printed DuckDB's "not a valid DuckDB database file" with exit 3.
func TestStoreFlagRefusesASpec(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "retail.yaml")
	if err := os.WriteFile(spec, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.duckdb")
	if err := os.WriteFile(text, []byte("not a store\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"measure", "winback_email", "--outcome", "conversions", "--store", spec},
		{"measure", "winback_email", spec, "--outcome", "conversions", "--store", spec},
		{"runs", "--store", spec},
		{"show", "lifecycle", "--store", text},
		{"run", spec, "--store", spec},
	} {
		_, stderr, code := run(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, "--store") || strings.Contains(stderr, "IO Error") {
			t.Errorf("segrun %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
		}
	}
}

// A version none of whose members has an event in the window is not measured as a lift of 0 (p = 1),
// which was stored and shown as a campaign that did nothing: no lift is given, each group says why, and a
// warning names the members and the events that were all of others.
func TestMeasureWithoutMemberEvents(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "shop.yaml")
	os.WriteFile(spec, []byte(`version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      tier: {type: VARCHAR}
  campaign:
    path: campaign.csv
    columns:
      customer_id: {type: BIGINT}
      ordered_at: {type: DATE}
segmentations:
  tiers:
    from: customers
    rules:
      - {segment: gold, when: 'tier == "gold"'}
    else: other
audiences:
  gold_offer:
    include: {tiers: [gold]}
    holdout: {share: 0.5, salt: s}
outcomes:
  conversions: {from: campaign, time: ordered_at, metric: converted}
`), 0o644)
	var customers, events strings.Builder
	customers.WriteString("customer_id,tier\n")
	events.WriteString("customer_id,ordered_at\n")
	for i := 1; i <= 40; i++ {
		tier := "silver"
		if i%2 == 0 {
			tier = "gold"
		} else {
			events.WriteString(strings.Join([]string{strconv.Itoa(i), "2024-02-05"}, ",") + "\n") // only non-members buy
		}
		customers.WriteString(strconv.Itoa(i) + "," + tier + "\n")
	}
	os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(customers.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "campaign.csv"), []byte(events.String()), 0o644)
	runWant(t, ExitOK, "run", spec, "--as-of", "2024-01-31")
	stdout, stderr, code := run(t, "measure", "gold_offer", spec, "--outcome", "conversions", "--format", "json")
	var m store.Measurement
	if err := json.Unmarshal([]byte(stdout), &m); code != ExitOK || err != nil {
		t.Fatalf("measure: exit %d %v\n%s%s", code, err, stdout, stderr)
	}
	if m.Events != 20 || m.MembersWithEvents != 0 || m.Overall.Lift != nil || m.Overall.Note == "" {
		t.Errorf("measurement: %d events, %d members with one, overall %+v", m.Events, m.MembersWithEvents, m.Overall)
	}
	if !strings.Contains(stderr, "none of the 20 members of version 1 has an event") {
		t.Errorf("no warning:\n%s", stderr)
	}
	stdout, _, _ = run(t, "measure", "gold_offer", spec, "--outcome", "conversions")
	if !strings.Contains(stdout, "(20 events; 0 members with one)") || strings.Contains(stdout, "+0.00 pp") {
		t.Errorf("text:\n%s", stdout)
	}
}
