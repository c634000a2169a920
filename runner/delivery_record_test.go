package runner

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/sql"
)

const webhookOnlySpec = `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
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
  hook: {webhook: {url_env: SEGRUN_TEST_RESUME_HOOK, batch: 4, max_attempts: 1}, mode: full}
`

// flakyHook is a webhook receiver that fails (503) the requests fail says to fail, and keeps every
// request's batch number and idempotency key, and the keys it acknowledged.
type flakyHook struct {
	mu    sync.Mutex
	fail  func(batch int) bool
	posts []string // "batch key"
	acked map[string]bool
}

func newFlakyHook(t *testing.T) (*flakyHook, *httptest.Server) {
	h := &flakyHook{acked: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b destinations.WebhookBatch
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		key := r.Header.Get("Idempotency-Key")
		h.posts = append(h.posts, strings.Join([]string{string(rune('0' + b.Batch)), key}, " "))
		if h.fail != nil && h.fail(b.Batch) {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if h.acked[key] {
			t.Errorf("batch %d (key %s) sent again after it was acknowledged", b.Batch, key)
		}
		h.acked[key] = true
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

// unquoted is f.query's text values without their JSON quotes.
func unquoted(rows []string) []string {
	for i, r := range rows {
		rows[i] = strings.Trim(r, `"`)
	}
	return rows
}

func (h *flakyHook) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.posts
	h.posts = nil
	return p
}

// A webhook delivery that fails at its third batch is recorded partial with 2 batches confirmed; the run
// key rerun with --force publishes a new version with the same members, and its delivery resumes at that
// batch with the same idempotency key (derived from the content, not the version id); forcing it once
// more sends nothing (recorded skipped). Before, each forced rerun sent every batch under new keys.
func TestForcedRerunResumesAndNeverResends(t *testing.T) {
	h, srv := newFlakyHook(t)
	t.Setenv("SEGRUN_TEST_RESUME_HOOK", srv.URL)
	f := newFixture(t, webhookOnlySpec, "")
	f.write("data/customers.csv", goldCustomers(40, func(i int) bool { return i%2 == 0 })) // 20 members: 5 batches
	h.fail = func(b int) bool { return b == 2 }
	key := func(o *RunOptions) { o.RunKey = "2024-01" }
	_, err := f.run("2024-01-31", key)
	var ee *ExportsError
	if !errors.As(err, &ee) || len(ee.Failed) != 1 || ee.Failed[0].Destination != "hook" {
		t.Fatalf("first run: %v", err)
	}
	first := h.take()
	if len(first) != 3 {
		t.Fatalf("first run posted %v, want batches 0, 1 and the failing 2", first)
	}
	expectRows(t, "deliveries after the failure", unquoted(f.query(`SELECT status || ' ' || batches_confirmed || ' ' || via FROM segrun_store.deliveries`)), "partial 2 run")

	h.fail = nil
	res := f.mustRun("2024-01-31", func(o *RunOptions) { key(o); o.Force = true })
	second := h.take()
	if len(second) != 3 || second[0] != first[2] {
		t.Fatalf("the forced rerun posted %v, want batches 2 to 4, batch 2 under the failed attempt's key %q", second, first[2])
	}
	if len(res.Deliveries) != 1 || res.Deliveries[0].Status != "ok" {
		t.Errorf("forced rerun's deliveries %+v", res.Deliveries)
	}
	res = f.mustRun("2024-01-31", func(o *RunOptions) { key(o); o.Force = true })
	if again := h.take(); len(again) != 0 {
		t.Fatalf("a second forced rerun of the same content posted %v", again)
	}
	if len(res.Deliveries) != 1 || res.Deliveries[0].Status != "skipped" {
		t.Errorf("second forced rerun's deliveries %+v", res.Deliveries)
	}
	got := unquoted(f.query(`SELECT status || ' ' || batches_confirmed || ' ' || coalesce(members, -1) FROM segrun_store.deliveries ORDER BY started_at`))
	expectRows(t, "deliveries", got, "partial 2 8", "ok 5 12", "skipped 5 -1")
	if n := len(h.acked); n != 5 {
		t.Errorf("%d batches acknowledged, want 5", n)
	}
}

// A run key rerun without --force delivers what its version lacks from the store, resuming after the
// confirmed batches; a new run key with other members is a new delivery under other keys.
func TestRerunRedeliversFromTheStore(t *testing.T) {
	h, srv := newFlakyHook(t)
	t.Setenv("SEGRUN_TEST_RESUME_HOOK", srv.URL)
	f := newFixture(t, webhookOnlySpec, "")
	f.write("data/customers.csv", goldCustomers(40, func(i int) bool { return i%2 == 0 }))
	h.fail = func(b int) bool { return b >= 3 }
	key := func(o *RunOptions) { o.RunKey = "2024-01" }
	if _, err := f.run("2024-01-31", key); !errors.As(err, new(*ExportsError)) {
		t.Fatalf("first run: %v", err)
	}
	first := h.take()
	h.fail = nil
	res := f.mustRun("2024-01-31", key)
	if !strings.Contains(res.Message, "delivering what it lacks: gold_offer to hook") {
		t.Errorf("message %q", res.Message)
	}
	second := h.take()
	if len(second) != 2 || second[0] != first[3] {
		t.Fatalf("the rerun posted %v, want batches 3 and 4, 3 under key %q", second, first[3])
	}
	if again := f.mustRun("2024-01-31", key); len(h.take()) != 0 || len(again.Deliveries) != 0 {
		t.Errorf("a rerun of a delivered version delivered %+v", again.Deliveries)
	}
	f.write("data/customers.csv", goldCustomers(40, func(i int) bool { return i%4 == 0 }))
	f.mustRun("2024-02-29", func(o *RunOptions) { o.RunKey = "2024-02" })
	third := h.take()
	if len(third) != 3 || slices.Contains(append(first, second...), third[0]) {
		t.Errorf("a new version posted %v, want 3 batches under new keys", third)
	}
}

// A version delivered before the store recorded deliveries (a row the upgrade carried over from the
// exports table: destination and target are the label, via migrated) counts as delivered: a rerun of its
// run key sends nothing.
func TestRerunTrustsMigratedDeliveries(t *testing.T) {
	h, srv := newFlakyHook(t)
	t.Setenv("SEGRUN_TEST_RESUME_HOOK", srv.URL)
	f := newFixture(t, webhookOnlySpec, "")
	f.write("data/customers.csv", goldCustomers(40, func(i int) bool { return i%2 == 0 }))
	key := func(o *RunOptions) { o.RunKey = "2024-01" }
	f.mustRun("2024-01-31", key)
	h.take()
	// As the upgrade from version 7 leaves it: the delivery known from its exports row only.
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, "ATTACH '"+filepath.Join(f.dir, "segrun.duckdb")+"' AS s"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "UPDATE s.deliveries SET destination = target, via = 'migrated', content_key = NULL, members = NULL, batches_confirmed = NULL"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DETACH s"); err != nil {
		t.Fatal(err)
	}
	res := f.mustRun("2024-01-31", key)
	if posted := h.take(); len(posted) != 0 || len(res.Deliveries) != 0 {
		t.Errorf("a rerun of a version delivered before the upgrade posted %v (%+v)", posted, res.Deliveries)
	}
}
