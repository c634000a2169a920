package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/sql"
)

// schemaExists asks the server, on a connection of its own, whether schema exists.
func schemaExists(t *testing.T, schema string) bool {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A run's tables live in its own schema, UNLOGGED, found by unqualified names (search_path), and the
// schema is gone after Close; a schema left by a killed run is dropped by the next Open, while a live
// run's is left alone.
func TestRunSchemaLifecycle(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, pg(t), "Life-1")
	if err != nil {
		t.Fatal(err)
	}
	if d.Schema() != "segrun_run_life_1" {
		t.Fatalf("schema %q", d.Schema())
	}
	if err := d.Exec(ctx, "CREATE TABLE public.orders AS SELECT 1 AS customer_id, 10.5::float8 AS amount"); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateTableAs(ctx, "spend", "SELECT customer_id, sum(amount) AS total FROM orders GROUP BY 1"); err != nil {
		t.Fatal(err)
	}
	// Replacing works (CreateTableAs is CREATE OR REPLACE on DuckDB).
	if err := d.CreateTableAs(ctx, "spend", "SELECT customer_id, sum(amount) * 2 AS total FROM orders GROUP BY 1"); err != nil {
		t.Fatal(err)
	}
	var schema, persistence string
	var total float64
	if err := d.QueryRow(ctx, "SELECT n.nspname, c.relpersistence::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'spend'").Scan(&schema, &persistence); err != nil {
		t.Fatal(err)
	}
	if schema != d.Schema() || persistence != "u" {
		t.Fatalf("spend is in %s with persistence %s, want %s and u (UNLOGGED)", schema, persistence, d.Schema())
	}
	if err := d.QueryRow(ctx, "SELECT total FROM spend").Scan(&total); err != nil || total != 21 {
		t.Fatalf("total = %v, %v", total, err)
	}

	// A live run's schema survives another run's Open; a dead run's does not.
	live := open(t, "live")
	killed, err := pgx.Connect(ctx, pg(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := killed.Exec(ctx, "CREATE SCHEMA segrun_run_killed; CREATE TABLE segrun_run_killed.t (x int)"); err != nil {
		t.Fatal(err)
	}
	killed.Close(ctx)
	if err := d.Exec(ctx, "DROP TABLE public.orders"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if schemaExists(t, "segrun_run_life_1") {
		t.Fatal("the run's schema is still there after Close")
	}
	open(t, "next")
	if schemaExists(t, "segrun_run_killed") {
		t.Fatal("the killed run's schema was not dropped by the next Open")
	}
	if !schemaExists(t, live.Schema()) {
		t.Fatal("a live run's schema was dropped by another run's Open")
	}
	// The same id twice at once is refused rather than sharing (and dropping) one schema.
	if _, err := Open(ctx, pg(t), "live"); err == nil {
		t.Fatal("a second run with a live run's id opened")
	}
}

// The vars table has one row and one column per var, typed as declared; feature SQL reads a var with a
// scalar subquery; setting a var again replaces its value, and with another type retypes its column.
func TestVarsTable(t *testing.T) {
	ctx := context.Background()
	d := open(t, "vars")
	asOf := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	for _, v := range []struct {
		name, typ string
		value     any
	}{
		{"as_of", "DATE", asOf}, {"min_orders", "BIGINT", int64(3)}, {"rate", "DOUBLE", 0.25},
		{"region", "VARCHAR", "north"}, {"vip", "BOOLEAN", true}, {"budget", "DECIMAL(18,2)", "1234.50"},
		{"min_orders", "BIGINT", int64(4)},
	} {
		if err := d.SetVariable(ctx, v.name, v.typ, v.value); err != nil {
			t.Fatal(err)
		}
	}
	cols, err := d.Describe(ctx, "SELECT * FROM segrun_vars")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(cols)
	want := "[{as_of DATE} {min_orders BIGINT} {rate DOUBLE} {region VARCHAR} {vip BOOLEAN} {budget DECIMAL(18,2)}]"
	if got != want {
		t.Fatalf("segrun_vars columns\n got %s\nwant %s", got, want)
	}
	var n int
	var day time.Time
	var minOrders int64
	var region string
	if err := d.QueryRow(ctx, "SELECT count(*), min(as_of), min(min_orders), min(region) FROM segrun_vars").Scan(&n, &day, &minOrders, &region); err != nil {
		t.Fatal(err)
	}
	if n != 1 || !day.Equal(asOf) || minOrders != 4 || region != "north" {
		t.Fatalf("segrun_vars = %d rows, %v %d %s", n, day, minOrders, region)
	}
	// The form feature SQL uses, typed as a date (date - date is an integer of days on PostgreSQL).
	var days int
	if err := d.QueryRow(ctx, "SELECT "+VarSQL("as_of")+" - DATE '2026-03-01'").Scan(&days); err != nil || days != 30 {
		t.Fatalf("as_of - 2026-03-01 = %d, %v", days, err)
	}
	if err := d.SetVariable(ctx, "region", "BIGINT", int64(7)); err != nil {
		t.Fatal(err)
	}
	if cols, _ := d.Describe(ctx, "SELECT region FROM segrun_vars"); fmt.Sprint(cols) != "[{region BIGINT}]" {
		t.Fatalf("region retyped to %v", cols)
	}
	if err := d.SetVariable(ctx, "bad", "VARCHAR[]", "x"); err == nil {
		t.Fatal("a list-typed var was accepted")
	}
}

// Describe types a feature by preparing it: types by DuckDB's names, and no row is run (the query would
// fail on its one row: division by zero).
func TestDescribeRunsNoRows(t *testing.T) {
	ctx := context.Background()
	d := open(t, "describe")
	if err := d.Exec(ctx, `CREATE TABLE orders (customer_id bigint, amount numeric(18,2), qty integer, price float8,
		note varchar(20), day date, at timestamp, at_tz timestamptz, paid boolean, raw numeric, tags text[])`); err != nil {
		t.Fatal(err)
	}
	if err := d.Exec(ctx, "INSERT INTO orders (customer_id, qty) VALUES (1, 0)"); err != nil {
		t.Fatal(err)
	}
	// An error is located in the statement (the unknown column on line 2), and the statement's fault.
	_, err := d.Describe(ctx, "SELECT customer_id,\n  count(*) FROM orders GROUP BY no_such_column")
	var se *sql.Error
	if !errors.As(err, &se) || se.Line != 2 || se.Column != 33 || se.Class() != sql.StatementError {
		t.Fatalf("unknown column: %#v", err)
	}
	cols, err := d.Describe(ctx, `SELECT customer_id, amount, qty, price, note, day, at, at_tz, paid, raw, tags,
		count(*) OVER () AS n, amount * 2 AS doubled, avg(price) OVER () AS mean, 10 / (qty - qty) AS boom FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{customer_id BIGINT} {amount DECIMAL(18,2)} {qty INTEGER} {price DOUBLE} {note VARCHAR} {day DATE} " +
		"{at TIMESTAMP} {at_tz TIMESTAMP WITH TIME ZONE} {paid BOOLEAN} {raw NUMERIC} {tags TEXT[]} {n BIGINT} " +
		"{doubled NUMERIC} {mean DOUBLE} {boom INTEGER}]"
	if got := fmt.Sprint(cols); got != want {
		t.Fatalf("described\n got %s\nwant %s", got, want)
	}
	// Running it does fail: Describe did not run it.
	if err := d.CreateTableAs(ctx, "f", "SELECT 10 / (qty - qty) AS boom FROM orders"); err == nil {
		t.Fatal("division by zero ran without error")
	}
	// CreateTableAs locates an error in the feature's SQL, not in the CREATE statement around it.
	err = d.CreateTableAs(ctx, "f", "SELECT qty + 'x'::text AS bad FROM orders")
	if !errors.As(err, &se) || se.Line != 1 || se.Column != 12 {
		t.Fatalf("wrong types in CreateTableAs: %#v", err)
	}
	// CreateEmpty takes DuckDB's names.
	if err := d.CreateEmpty(ctx, "stand_in", []sql.Column{{Name: "customer_id", Type: "BIGINT"}, {Name: "v", Type: "DOUBLE"}, {Name: "d", Type: "DECIMAL(10,3)"}}); err != nil {
		t.Fatal(err)
	}
	if cols, _ := d.Describe(ctx, "SELECT * FROM stand_in"); fmt.Sprint(cols) != "[{customer_id BIGINT} {v DOUBLE} {d DECIMAL(10,3)}]" {
		t.Fatalf("stand_in is %v", cols)
	}
	kw, err := d.Keywords(ctx)
	if err != nil || !kw["select"] || !kw["from"] || kw["customer_id"] {
		t.Fatalf("keywords: select %v, from %v, %v", kw["select"], kw["from"], err)
	}
	plan, err := d.ExplainCreate(ctx, "SELECT customer_id, count(*) FROM orders GROUP BY 1")
	if err != nil || len(plan.Children) != 1 || plan.Children[0].Name == "" {
		t.Fatalf("plan %+v, %v", plan, err)
	}
}

// The run's tables are created, replaced and dropped in its own schema only: a table of public with the
// same name as a source or stand-in (search_path goes on to public) is never dropped. Unqualified, the
// DROP TABLE IF EXISTS before each CREATE dropped public.orders when validation made the stand-in of a
// source named orders.
func TestRunTablesNeverTouchPublic(t *testing.T) {
	ctx := context.Background()
	d := open(t, "public_kept")
	t.Cleanup(func() { d.Exec(context.Background(), "DROP TABLE IF EXISTS public.pgwire_kept") })
	if err := d.Exec(ctx, "CREATE TABLE public.pgwire_kept AS SELECT 1 AS customer_id"); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error {
			return d.CreateEmpty(ctx, "pgwire_kept", []sql.Column{{Name: "customer_id", Type: "BIGINT"}})
		},
		func() error { return d.DropTable(ctx, "pgwire_kept") },
		func() error { return d.DropTable(ctx, "pgwire_kept") }, // none left in the run's schema: public's must stay
		func() error { return d.CreateTableAs(ctx, "pgwire_kept", "SELECT 2 AS customer_id") },
		func() error { return d.DropView(ctx, "pgwire_kept_view") },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		var n int
		if err := d.QueryRow(ctx, "SELECT count(*) FROM public.pgwire_kept WHERE customer_id = 1").Scan(&n); err != nil || n != 1 {
			t.Fatalf("after step %d public.pgwire_kept is gone or changed (%d rows, %v)", i, n, err)
		}
	}
}
