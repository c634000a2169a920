package pgtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// LoadCSV puts every row on the shard whose partition its customer_id hashes to: the coordinator sees all
// of them through the partitioned table, each shard holds some, and none sits on the wrong shard (where a
// query pruned to one partition would miss it).
func TestShardedLoadsEachRowOnItsShard(t *testing.T) {
	start := time.Now()
	sh := NewSharded(t)
	t.Logf("coordinator and %d shards started in %.2f s", len(sh.Shards), time.Since(start).Seconds())
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("customer_id,order_id,ordered_at,amount\n")
	const customers, perCustomer = 200, 3
	for c := 1; c <= customers; c++ {
		for o := range perCustomer {
			fmt.Fprintf(&csv, "%d,%d,2024-01-0%d 10:00:00,%d.50\n", c, c*10+o, o+1, c)
		}
	}
	if err := sh.LoadCSV(ctx, "orders", strings.NewReader(csv.String())); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, sh.Coordinator.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var total int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&total); err != nil || total != customers*perCustomer {
		t.Fatalf("the coordinator sees %d orders (%v), want %d", total, err, customers*perCustomer)
	}
	for i := range sh.Shards {
		var held, misplaced int
		// OFFSET 0 keeps the check on the coordinator: postgres_fdw would otherwise ship the built-in
		// satisfies_hash_partition to the shard, where the coordinator's table OID means nothing.
		err := conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE NOT satisfies_hash_partition('orders'::regclass, %d, %d, customer_id))
			FROM (SELECT customer_id FROM orders_shard%d OFFSET 0) AS held`, len(sh.Shards), i, i)).Scan(&held, &misplaced)
		if err != nil {
			t.Fatal(err)
		}
		if held == 0 || misplaced != 0 {
			t.Errorf("shard %d holds %d orders, %d of them another shard's", i, held, misplaced)
		}
	}
	// A query for one customer reads one partition: the customer's orders are all there.
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM orders WHERE customer_id = 7").Scan(&n); err != nil || n != perCustomer {
		t.Errorf("customer 7 has %d orders through the coordinator (%v), want %d", n, err, perCustomer)
	}
	var setting string
	if err := conn.QueryRow(ctx, "SHOW enable_partitionwise_aggregate").Scan(&setting); err != nil || setting != "on" {
		t.Errorf("enable_partitionwise_aggregate is %q (%v) on the coordinator, want on", setting, err)
	}
}
