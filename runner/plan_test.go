package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// A sql_file is read once, for validation: the run executes the text validated and planned, and the
// version records the hash of exactly that text, even when the file changes on disk in between.
func TestExecuteRunsThePlannedSQLFile(t *testing.T) {
	const specText = `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      order_id: {type: BIGINT}
      ordered_at: {type: TIMESTAMP}
      amount: {type: DOUBLE}
features:
  tiers:
    sql_file: sql/tiers.sql
segmentations:
  tier:
    from: tiers
    rules:
      - {segment: first, when: "tier == 1"}
    else: other
`
	const planned = "select customer_id, 1 as tier from orders group by customer_id\n"
	f := newFixture(t, specText, fixtureOrders)
	f.write("sql/tiers.sql", planned)
	ctx := context.Background()
	o := RunOptions{AsOf: date("2024-03-01"), Version: "test"}
	v, err := Validate(ctx, f.spec, ValidateOptions{AsOf: o.AsOf})
	if err != nil || !v.Valid() {
		t.Fatalf("validate: %v %v", err, v.Diagnostics)
	}
	f.write("sql/tiers.sql", "select customer_id, 2 as tier from orders group by customer_id\n")
	if _, err := Execute(ctx, v, o); err != nil {
		t.Fatal(err)
	}
	expectRows(t, "segments from the planned SQL", f.query(`SELECT DISTINCT segment FROM segrun_store.memberships_as_of(1)`), `"first"`)
	// The hash as segrun has always computed it: the spec file, then each sql_file's path and content.
	h := sha256.New()
	h.Write([]byte(specText))
	h.Write([]byte("sql/tiers.sql"))
	h.Write([]byte(planned))
	want := hex.EncodeToString(h.Sum(nil))
	if v.Plan.SpecHash != want {
		t.Errorf("plan's spec hash %s, want %s", v.Plan.SpecHash, want)
	}
	expectRows(t, "recorded spec hash", f.query(`SELECT spec_hash FROM runs`), `"`+want+`"`)
}
