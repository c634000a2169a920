package pgshards

import (
	"context"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"
)

// rfmRow is one customer's RFM values as Compared selects them.
type rfmRow struct {
	recency, frequency, cents int64
	avg                       float64
}

func pgRFM(t *testing.T, conn *pgx.Conn, query string) map[int64]rfmRow {
	t.Helper()
	rows, err := conn.Query(context.Background(), Compared(query))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]rfmRow{}
	for rows.Next() {
		var id int64
		var r rfmRow
		if err := rows.Scan(&id, &r.recency, &r.frequency, &r.cents, &r.avg); err != nil {
			t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The RFM aggregate on the shards equals the same feature on one PostgreSQL server (plain tables) and the
// flagship's DuckDB feature, on the same generated orders: integers exactly, the average within
// AvgTolerance. The generated data has refunds (negative amounts the filter drops) and customers whose
// orders all come after as_of (absent from every answer); the test checks it has.
func TestRFMOnTheShardsEqualsOneServerAndDuckDB(t *testing.T) {
	conn := coordinator(t)
	ctx := context.Background()
	shards := pgRFM(t, conn, RFMPostgres)
	if _, err := conn.Exec(ctx, "SET search_path = "+runSchema+", single"); err != nil {
		t.Fatal(err)
	}
	single := pgRFM(t, conn, RFMPostgres)

	db := duck(t)
	rows, err := db.Query(ctx, Compared(RFMDuckDB))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	duckdb := map[int64]rfmRow{}
	for rows.Next() {
		var id int64
		var r rfmRow
		if err := rows.Scan(&id, &r.recency, &r.frequency, &r.cents, &r.avg); err != nil {
			t.Fatal(err)
		}
		duckdb[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	var refunds, later int
	if err := conn.QueryRow(ctx, `select count(*) filter (where amount < 0),
		(select count(*) from (select customer_id from single.orders group by 1 having min(ordered_at) >= date '`+testAsOf+`') c)
		from single.orders`).Scan(&refunds, &later); err != nil {
		t.Fatal(err)
	}
	if refunds == 0 || later == 0 {
		t.Errorf("the generated data has %d refunds and %d customers ordering only after as_of; the test wants some of each", refunds, later)
	}
	if len(shards) < testCustomers/2 {
		t.Fatalf("the shards answered for %d customers of %d generated: the data did not load", len(shards), testCustomers)
	}
	for name, other := range map[string]map[int64]rfmRow{"one server": single, "DuckDB": duckdb} {
		if len(other) != len(shards) {
			t.Errorf("%s has %d customers, the shards %d", name, len(other), len(shards))
		}
		bad := 0
		for id, want := range other {
			got, ok := shards[id]
			same := ok && got.recency == want.recency && got.frequency == want.frequency && got.cents == want.cents &&
				math.Abs(got.avg-want.avg) <= AvgTolerance*math.Abs(want.avg)
			if !same && bad < 5 {
				t.Errorf("customer %d: shards %+v (present %v), %s %+v", id, got, ok, name, want)
			}
			if !same {
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%d customers differ between the shards and %s", bad, name)
		}
	}
}
