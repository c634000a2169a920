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

// An infinite value in a model's feature (a ratio over zero in a feature's SQL) failed a linear model with
// "the features are collinear (some are linear combinations of others) ... use alpha > 0 (ridge)", even
// with alpha > 0 already: the message sent the user to the wrong fix. The run fails naming the feature.
func TestModelRefusesAnInfiniteFeature(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("customer_id,x,y\n")
	for i := range 100 {
		x := strconv.Itoa(i % 13)
		if i == 7 {
			x = "inf"
		}
		csv.WriteString(strconv.Itoa(i) + "," + x + "," + strconv.Itoa(i%7) + "\n")
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
      y: {type: DOUBLE}
models:
  spend:
    from: customers
    label: y
    features: [x]
    method: linear
    params: {alpha: 1}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", csv.String())
	f.failsWith("2024-01-31", "model spend", "feature x", "infinite")
}
