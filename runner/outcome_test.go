package runner

import (
	"strings"
	"testing"
)

// An outcome's source is read by segrun measure, not by runs: a run of a spec whose outcome events file
// has a row that is not a date (or any later damage) runs and publishes. Loading it, runs failed on it
// (exit 1) and read a campaign's events for nothing every time.
func TestRunDoesNotLoadTheOutcomeSource(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      tier: {type: VARCHAR}
  campaign_orders:
    path: data/campaign_orders.csv
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
  conversions: {from: campaign_orders, time: ordered_at, metric: converted}
`, "")
	f.write("data/customers.csv", goldCustomers(20, func(i int) bool { return i%2 == 0 }))
	f.write("data/campaign_orders.csv", "customer_id,ordered_at\n2,2024-02-03\n4,not a date\n")
	res := f.mustRun("2024-01-31", nil)
	for _, st := range res.Steps {
		if st.Step == "campaign_orders" {
			t.Errorf("the run loaded the outcome's source: %+v", st)
		}
	}
	if res.Outcome != OutcomePublished {
		t.Errorf("outcome %s", res.Outcome)
	}
	if got := strings.Join(f.query("SELECT count(*) FROM segrun_store.current_memberships WHERE segmentation = 'gold_offer'"), ""); got != "10" {
		t.Errorf("%s audience members, want 10", got)
	}
}
