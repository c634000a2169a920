package store

import (
	"context"
	"testing"
)

// insertRows splits many rows into several statements and inserts every row once, in order.
func TestInsertRowsInBatches(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if err := db.Exec(ctx, "CREATE TABLE t (i BIGINT, s VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	s := newStore(workspaceConn{db}, dialect{}, "")
	for _, n := range []int{0, 1, insertBatch, 2*insertBatch + 7} {
		if err := db.Exec(ctx, "DELETE FROM t"); err != nil {
			t.Fatal(err)
		}
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{int64(i), "x"}
		}
		if err := s.insertRows(ctx, "t", "(?, nullif(?, ''))", rows); err != nil {
			t.Fatal(err)
		}
		var count, distinct, sum int64
		if err := db.QueryRow(ctx, "SELECT count(*), count(DISTINCT i), coalesce(sum(i), 0) FROM t WHERE s = 'x'").Scan(&count, &distinct, &sum); err != nil {
			t.Fatal(err)
		}
		if want := int64(n); count != want || distinct != want || sum != want*(want-1)/2 {
			t.Errorf("%d rows: inserted %d (%d distinct, sum %d)", n, count, distinct, sum)
		}
	}
}
