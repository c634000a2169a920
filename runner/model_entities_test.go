package runner

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// A model over a table with several rows for one entity gave no word (a review finding): its output
// table then held several scores for that entity, which a segmentation reading it refuses much later, or
// a feature joining it fans out. Scoring such a table fails the run naming the model, the table and a
// duplicated entity; training on one (scoring another) is a warning naming the same.
func TestModelOverDuplicateEntities(t *testing.T) {
	var csv, scoring strings.Builder
	csv.WriteString("customer_id,x,churned\n")
	scoring.WriteString("customer_id,x\n")
	for i := range 120 {
		csv.WriteString(strconv.Itoa(i) + "," + strconv.Itoa(i%11) + "," + strconv.FormatBool((i%11)+(i%3) > 8) + "\n")
		scoring.WriteString(strconv.Itoa(i) + "," + strconv.Itoa(i%11) + "\n")
	}
	csv.WriteString("42,3,true\n42,4,false\n") // customer 42 three times
	spec := func(score string) string {
		s := `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      x: {type: DOUBLE}
      churned: {type: BOOLEAN}
  scoring:
    path: data/scoring.csv
    columns:
      customer_id: {type: BIGINT}
      x: {type: DOUBLE}
models:
  churn:
    from: customers
    label: churned
    features: [x]
    method: logistic
`
		if score != "" {
			s += "    score: " + score + "\n"
		}
		return s
	}
	f := newFixture(t, spec(""), "")
	f.write("data/customers.csv", csv.String())
	f.write("data/scoring.csv", scoring.String())
	_, err := f.run("2024-01-31", nil)
	var fail *Failure
	if !errors.As(err, &fail) {
		t.Fatalf("scoring a table with customer 42 three times: %v, want a failure", err)
	}
	msg := fail.Error() + strings.Join(fail.Details, " ")
	for _, want := range []string{"model churn", "customers", "42", "3 rows"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q does not name %q", msg, want)
		}
	}

	f.write("shop.yaml", spec("scoring"))
	res := f.mustRun("2024-01-31", nil)
	warned := false
	for _, w := range res.Warnings {
		if strings.Contains(w, "model churn") && strings.Contains(w, "customers") && strings.Contains(w, "42") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("training on customer 42's three rows: warnings %q, want one naming the model, table and entity", res.Warnings)
	}
}
