package postgres

import (
	"context"
	"testing"

	"github.com/segrun/segrun/sql"
)

// The meter counts the rows the server sent (a query's, a count's, PullArrow's) and not those a CREATE
// TABLE AS kept in the server, and the bytes each way: a 100,000-row table made in the server pulls
// nothing; reading 1,000 of its rows pulls 1,000 rows and at least their bytes.
func TestTrafficCountsWhatTheServerSent(t *testing.T) {
	d := open(t, "traffic")
	ctx := context.Background()
	step := func(what string, fn func() error) Traffic {
		t.Helper()
		before := d.Traffic()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		after := d.Traffic()
		return Traffic{RowsPulled: after.RowsPulled - before.RowsPulled, BytesPulled: after.BytesPulled - before.BytesPulled,
			BytesPushed: after.BytesPushed - before.BytesPushed, Statements: after.Statements - before.Statements,
			ServerSeconds: after.ServerSeconds - before.ServerSeconds}
	}
	made := step("create table as", func() error {
		return d.CreateTableAs(ctx, "t", "SELECT g AS id, g * 1.5 AS x FROM generate_series(1, 100000) g")
	})
	if made.RowsPulled != 0 || made.BytesPulled > 1000 {
		t.Errorf("CREATE TABLE AS of 100,000 rows pulled %d rows / %d bytes; want none", made.RowsPulled, made.BytesPulled)
	}
	if made.Statements != 3 || made.BytesPushed == 0 || made.ServerSeconds <= 0 {
		t.Errorf("CREATE TABLE AS (its DROP before, its ANALYZE after): %+v; want 3 statements, bytes sent, time in the server", made)
	}
	queried := step("query", func() error {
		rows, err := d.Query(ctx, "SELECT id, x FROM t WHERE id <= $1", 1000)
		if err != nil {
			return err
		}
		_, got, err := sql.ScanAll(rows)
		if len(got) != 1000 {
			t.Errorf("scanned %d rows", len(got))
		}
		return err
	})
	if queried.RowsPulled != 1000 || queried.BytesPulled < 1000*(8+8) {
		t.Errorf("a query of 1,000 rows pulled %d rows / %d bytes", queried.RowsPulled, queried.BytesPulled)
	}
	counted := step("count", func() error {
		var n int64
		return d.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n)
	})
	if counted.RowsPulled != 1 {
		t.Errorf("a count pulled %d rows; want 1", counted.RowsPulled)
	}
	copied := step("pull", func() error {
		rr, err := d.PullArrow(ctx, "SELECT id FROM t WHERE id <= 2500")
		if err == nil {
			rr.Release()
		}
		return err
	})
	if copied.RowsPulled != 2500 || copied.BytesPulled < 2500*8 {
		t.Errorf("PullArrow of 2,500 rows pulled %d rows / %d bytes", copied.RowsPulled, copied.BytesPulled)
	}
}
