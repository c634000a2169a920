package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segrun rollback names the files the rolled-back version wrote and says truly who rewrites them: the
// next run. It said "the next run, or segrun export, writes them again", but segrun export writes to the
// path it is given, in its own columns, never a destination's file.
func TestRollbackSaysWhoRewritesTheFiles(t *testing.T) {
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
segmentations:
  tiers:
    from: customers
    rules:
      - {segment: gold, when: 'tier == "gold"'}
    else: other
audiences:
  gold_offer:
    include: {tiers: [gold]}
    destinations: [gold_file]
destinations:
  gold_file: {path: out/gold.csv}
exports:
  - {segmentation: tiers, path: out/tiers.csv}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "customers.csv"), []byte("customer_id,tier\n1,gold\n2,silver\n"), 0o644)
	for _, asOf := range []string{"2024-01-31", "2024-02-29"} {
		if _, stderr, code := run(t, "run", spec, "--as-of", asOf); code != ExitOK {
			t.Fatalf("run: %d %s", code, stderr)
		}
	}
	stdout, stderr, code := run(t, "rollback", spec, "--last")
	if code != ExitOK {
		t.Fatalf("rollback: %d %s", code, stderr)
	}
	if strings.Contains(stdout, "or segrun export, writes them again") {
		t.Errorf("rollback still says segrun export rewrites the files:\n%s", stdout)
	}
	for _, want := range []string{filepath.Join(dir, "out", "gold.csv"), filepath.Join(dir, "out", "tiers.csv"), "the next run writes", "segrun export writes a version to a path you give, not these"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("rollback's message lacks %q:\n%s", want, stdout)
		}
	}
}
