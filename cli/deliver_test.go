package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/segrun/segrun/internal/destinations"
)

const deliverSpec = `version: 1
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
    holdout: {share: 0.3, salt: s}
    destinations: [hook]
destinations:
  hook: {webhook: {url_env: SEGRUN_TEST_DELIVER_HOOK, batch: 4, max_attempts: 1}, mode: full}
`

// segrun deliver sends a version to its webhook again with the same idempotency keys (the receiver applies
// nothing twice), exits 4 naming the variable when the destination cannot be reached, and 2 for an
// audience or destination the spec lacks.
func TestDeliverCommand(t *testing.T) {
	var mu sync.Mutex
	applied, posts := map[string]int{}, 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b destinations.WebhookBatch
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		defer mu.Unlock()
		posts++
		if _, seen := applied[r.Header.Get("Idempotency-Key")]; !seen {
			applied[r.Header.Get("Idempotency-Key")] = len(b.Events)
		}
	}))
	defer hook.Close()
	t.Setenv("SEGRUN_TEST_DELIVER_HOOK", hook.URL)
	dir := t.TempDir()
	specPath := filepath.Join(dir, "shop.yaml")
	os.WriteFile(specPath, []byte(deliverSpec), 0o644)
	var b strings.Builder
	b.WriteString("customer_id,tier\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "%d,%s\n", i, map[bool]string{true: "gold", false: "silver"}[i%3 == 0])
	}
	os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(b.String()), 0o644)
	if _, stderr, code := run(t, "run", specPath, "--as-of", "2024-01-31"); code != ExitOK {
		t.Fatalf("run: %d %s", code, stderr)
	}
	events := func() int {
		n := 0
		for _, v := range applied {
			n += v
		}
		return n
	}
	if len(applied) != 3 || events() != 10 || posts != 3 {
		t.Fatalf("the run sent %d batches, %d events in %d posts", len(applied), events(), posts)
	}
	stdout, stderr, code := run(t, "deliver", "gold_offer", specPath)
	if code != ExitOK || !strings.Contains(stdout, "hook: version 1 was already delivered (same content); nothing sent") || posts != 3 {
		t.Fatalf("deliver a delivered version: %d, %d posts\n%s%s", code, posts, stdout, stderr)
	}
	stdout, stderr, code = run(t, "deliver", "gold_offer", specPath, "--again")
	if code != ExitOK || !strings.Contains(stdout, "hook: version 1 delivered (full): 10 members (3 batches confirmed)") {
		t.Fatalf("deliver --again: %d\n%s%s", code, stdout, stderr)
	}
	if len(applied) != 3 || posts != 6 {
		t.Errorf("deliver again: %d batches applied, %d posts", len(applied), posts)
	}
	t.Setenv("SEGRUN_TEST_DELIVER_HOOK", "")
	_, stderr, code = run(t, "deliver", "gold_offer", specPath, "--destination", "hook", "--again")
	if code != ExitExports || !strings.Contains(stderr, "SEGRUN_TEST_DELIVER_HOOK") || !strings.Contains(stderr, "destination hook") {
		t.Errorf("missing variable: %d %s", code, stderr)
	}
	stdout, _, code = run(t, "deliveries", "gold_offer", specPath)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != ExitOK || len(lines) != 5 || !strings.Contains(lines[1], "hook         full  ok       10 members (3 batches confirmed)  run") ||
		!strings.Contains(lines[2], "skipped") || !strings.Contains(lines[3], "deliver") || !strings.Contains(lines[4], "failed") || !strings.Contains(lines[4], "SEGRUN_TEST_DELIVER_HOOK") {
		t.Errorf("segrun deliveries: %d\n%s", code, stdout)
	}
	stdout, _, code = run(t, "deliveries", specPath, "--format", "json")
	var recs []map[string]any
	if err := json.Unmarshal([]byte(stdout), &recs); code != ExitOK || err != nil || len(recs) != 4 || recs[0]["delivery_id"] != "gold_offer/v1/hook" || recs[0]["members"] != 10.0 {
		t.Errorf("segrun deliveries --format json: %d %v\n%s", code, err, stdout)
	}
	if _, stderr, code = run(t, "deliver", "gold_ofer", specPath); code != ExitUsage || !strings.Contains(stderr, `"gold_offer"`) {
		t.Errorf("unknown audience: %d %s", code, stderr)
	}
}
