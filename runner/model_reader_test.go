package runner

import (
	"strconv"
	"strings"
	"testing"
)

// docs/spec.md (models) says a model's table is read "like any step (a feature joining it, or a
// segmentation from: it: churn_score >= 0.7)", and README.md the same; validation refused the segmentation:
// `from "churn" is a model, not a source, feature or segmentation`.
func TestSegmentationReadsAModel(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("customer_id,x,churned\n")
	for i := range 200 {
		csv.WriteString(strings.Join([]string{itoa(i), itoa(i % 17), map[bool]string{true: "true", false: "false"}[(i%17)+(i%5) > 12]}, ",") + "\n")
	}
	spec := `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      x: {type: DOUBLE}
      churned: {type: BOOLEAN}
models:
  churn:
    from: customers
    label: churned
    features: [x]
    method: logistic
segmentations:
  risk:
    from: churn
    rules: [{segment: high, when: "churn_score >= 0.5"}]
    else: low
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", csv.String())
	f.mustRun("2024-01-31", nil)
	expectRows(t, "every scored customer has a risk segment", f.query(`SELECT count(*) FROM segrun_store.current_memberships WHERE segmentation = 'risk'`), "200")
}

func itoa(i int) string { return strconv.Itoa(i) }
