package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/internal/pgtest"
)

const externalDestinationsSpec = `version: 1
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
    destinations: [crm_db, hook]
destinations:
  crm_db: {postgres: {dsn_env: SEGRUN_TEST_CRM_DSN, table: crm.members, exits: flag}, mode: changes}
  hook: {webhook: {url_env: SEGRUN_TEST_HOOK_URL, batch: 7}, mode: full}
`

func goldCustomers(n int, gold func(i int) bool) string {
	var b strings.Builder
	b.WriteString("customer_id,tier\n")
	for i := 1; i <= n; i++ {
		tier := "silver"
		if gold(i) {
			tier = "gold"
		}
		fmt.Fprintf(&b, "%d,%s\n", i, tier)
	}
	return b.String()
}

// A run delivers an audience's version to a PostgreSQL table (changes, exits flagged) and a webhook (full)
// after publishing: the table's current rows are the store's current members and groups, the webhook
// receives every member once; a missing variable fails the delivery (exit 4, the version published),
// naming the destination and the variable.
func TestRunDeliversToPostgresAndWebhook(t *testing.T) {
	srv := pgtest.New(t)
	var mu sync.Mutex
	got := map[string]string{}
	keys := map[string]bool{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b destinations.WebhookBatch
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if keys[r.Header.Get("Idempotency-Key")] {
			t.Errorf("batch %d of %s sent twice", b.Batch, b.DeliveryID)
		}
		keys[r.Header.Get("Idempotency-Key")] = true
		for _, ev := range b.Events {
			got[fmt.Sprintf("v%d %s", b.Version, ev.Entity)] = ev.Group
		}
	}))
	defer hook.Close()
	t.Setenv("SEGRUN_TEST_CRM_DSN", srv.DSN)
	t.Setenv("SEGRUN_TEST_HOOK_URL", hook.URL)

	f := newFixture(t, externalDestinationsSpec, "")
	f.write("data/customers.csv", goldCustomers(60, func(i int) bool { return i%2 == 0 }))
	v1 := f.mustRun("2024-01-31", nil).RunID
	f.write("data/customers.csv", goldCustomers(60, func(i int) bool { return i%3 == 0 }))
	res := f.mustRun("2024-02-29", nil)
	v2 := res.RunID
	for _, d := range res.Deliveries {
		if !d.Written || (d.Destination == "crm_db") != (d.Path == "postgres:crm.members") {
			t.Errorf("delivery %+v", d)
		}
	}

	members := f.query(`SELECT entity || ':' || segment FROM segrun_store.current_memberships WHERE segmentation = 'gold_offer' ORDER BY entity`)
	for i, m := range members {
		members[i] = strings.Trim(m, `"`)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT entity || ':' || "group" FROM crm.members WHERE exited_at IS NULL ORDER BY entity::BIGINT`)
	if err != nil {
		t.Fatal(err)
	}
	table, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	expectRows(t, "the table's members", table, members...)
	var flagged int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM crm.members WHERE exited_at IS NOT NULL`).Scan(&flagged); err != nil || flagged == 0 {
		t.Errorf("no exit flagged (%v)", err)
	}
	var hooked []string
	for k, g := range got {
		if strings.HasPrefix(k, fmt.Sprintf("v%d ", v2)) {
			hooked = append(hooked, strings.TrimPrefix(k, fmt.Sprintf("v%d ", v2))+":"+g)
		}
	}
	expectRows(t, "the webhook's members", sortedLines(hooked...), sortedLines(members...)...)
	if n := len(got) - len(hooked); n != 30 {
		t.Errorf("version %d sent %d members to the webhook, want 30", v1, n)
	}

	t.Setenv("SEGRUN_TEST_CRM_DSN", "")
	f.write("data/customers.csv", goldCustomers(60, func(i int) bool { return i%5 == 0 }))
	_, err = f.run("2024-03-31", nil)
	var ee *ExportsError
	if !errors.As(err, &ee) || len(ee.Failed) != 1 || !strings.Contains(ee.Failed[0].Error, "SEGRUN_TEST_CRM_DSN") || ee.Failed[0].Destination != "crm_db" {
		t.Fatalf("missing variable: %v", err)
	}
}
