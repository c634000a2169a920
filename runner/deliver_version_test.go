package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// An audience stands in here as a rules segmentation whose segments are its groups, as audiences are
// stored. As of 2024-03-01: 1 treatment, 2 control; as of 2024-06-01, 2 exits (its last order is old)
// and 3 enters (a recent order).
const deliverySpec = `version: 1
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
  rfm:
    sql: |
      select customer_id,
             date_part('day', getvariable('as_of')::timestamp - max(ordered_at)) as recency_days,
             sum(amount) as monetary
      from orders where ordered_at < getvariable('as_of')
      group by customer_id
segmentations:
  winback:
    from: rfm
    rules:
      - {segment: control, when: "customer_id == 2 && recency_days < 100"}
      - {segment: treatment, when: "monetary >= 100 && recency_days <= 60"}
`

// recorder is a destination that keeps what it was given.
type recorder struct{ got []string }

func (r *recorder) Deliver(_ context.Context, d destinations.Delivery) (destinations.Result, error) {
	r.got = append(r.got, fmt.Sprintf("%s %s", d.ID, d.Mode))
	for row, err := range d.Rows {
		if err != nil {
			return destinations.Result{}, err
		}
		r.got = append(r.got, row.Entity+":"+row.Group+":"+row.Event)
	}
	return destinations.Result{}, nil
}

func openStoreForDelivery(t *testing.T, dir string) (sql.Workspace, *store.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := store.Attach(ctx, db, filepath.Join(dir, "segrun.duckdb"), store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	return db, st
}

// A version's members (full) and its entered and exited (changes) reach the destination from the store,
// in entity order, with their groups; an audience the version lacks is an error naming the destination.
func TestDeliverVersionReadsTheStore(t *testing.T) {
	f := newFixture(t, deliverySpec, fixtureOrders)
	v1 := f.mustRun("2024-03-01", nil).RunID
	v2 := f.mustRun("2024-06-01", nil).RunID
	db, st := openStoreForDelivery(t, f.dir)
	ctx := context.Background()
	var rec recorder
	for _, c := range []struct {
		run  int64
		mode string
	}{{v1, "full"}, {v2, "changes"}, {v2, "full"}} {
		if _, err := DeliverVersion(ctx, db, st, "winback", c.run, "crm_db", c.mode, &rec); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		fmt.Sprintf("winback/v%d/crm_db full", v1), "1:treatment:member", "2:control:member",
		fmt.Sprintf("winback/v%d/crm_db changes", v2), "2:control:exited", "3:treatment:entered",
		fmt.Sprintf("winback/v%d/crm_db full", v2), "1:treatment:member", "3:treatment:member",
	}
	if strings.Join(rec.got, "\n") != strings.Join(want, "\n") {
		t.Errorf("delivered:\n%s\nwant:\n%s", strings.Join(rec.got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := DeliverVersion(ctx, db, st, "nosuch", v2, "crm_db", "full", &rec); err == nil || !strings.Contains(err.Error(), "crm_db") {
		t.Errorf("unknown audience: %v", err)
	}
}

// From the store to a real PostgreSQL table: two versions as changes leave the table holding the second's
// members, and delivering the second again applies nothing.
func TestDeliverVersionToPostgres(t *testing.T) {
	srv := pgtest.New(t)
	f := newFixture(t, deliverySpec, fixtureOrders)
	v1 := f.mustRun("2024-03-01", nil).RunID
	v2 := f.mustRun("2024-06-01", nil).RunID
	db, st := openStoreForDelivery(t, f.dir)
	ctx := context.Background()
	pg := &destinations.Postgres{Name: "crm_db", Config: destinations.PostgresConfig{DSNEnv: "CRM_DSN", Table: "crm.members"},
		Getenv: func(string) string { return srv.DSN }}
	for _, run := range []int64{v1, v2, v2} {
		res, err := DeliverVersion(ctx, db, st, "winback", run, "crm_db", "changes", pg)
		if err != nil {
			t.Fatal(err)
		}
		if run == v2 && res.AlreadyApplied != (res.Upserted == 0 && res.Exited == 0) {
			t.Errorf("version %d: %+v", run, res)
		}
	}
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var got string
	if err := conn.QueryRow(ctx, `SELECT string_agg(entity || ':' || "group", ' ' ORDER BY entity) FROM crm.members`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	var deliveries int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM crm.members_segrun_deliveries`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if got != "1:treatment 3:treatment" || deliveries != 2 {
		t.Errorf("table %q, %d deliveries recorded", got, deliveries)
	}
}
