package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
)

// The retail example's lifecycle rules over 1M customers, three ways: Go's engine (the Arrow read and
// Evaluate; not the result table's write), and the translated SQL creating the result table and reading
// the statistics, on DuckDB and on PostgreSQL.
// go test -tags duckdb_arrow -run '^$' -bench RulesOn -benchtime 3x ./runner/rules

const benchCustomers = 1_000_000

var benchInput = fmt.Sprintf(`SELECT i AS customer_id, CASE WHEN i %% 97 = 0 THEN NULL ELSE (i * 7919) %% 400 END AS recency_days,
	CAST(1 + (i * 104729) %% 30 AS BIGINT) AS frequency, CAST((i * 1299709) %% 500000 AS DOUBLE PRECISION) / 100 AS monetary,
	CASE WHEN i %% 53 = 0 THEN NULL ELSE CAST((i * 15485863) %% 1000 AS DOUBLE PRECISION) / 1000 END AS churn_score
	FROM (SELECT CAST(g AS BIGINT) AS i FROM generate_series(1, %d) AS s(g)) AS t`, benchCustomers)

func benchSet(b *testing.B) *Set {
	env := &Env{Columns: colsOf("recency_days BIGINT", "frequency BIGINT", "monetary DOUBLE", "churn_score DOUBLE"),
		Vars: []Var{{Name: AsOf, Value: time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC)}, {Name: "champion_orders", Value: 10},
			{Name: "active_days", Value: 90}, {Name: "lapsed_days", Value: 180}}}
	rs, err := Compile([]Rule{
		{Segment: "champions", When: "recency_days <= 30 && frequency >= vars.champion_orders"},
		{Segment: "churn_risk", When: "churn_score >= 0.7 && monetary >= 500"},
		{Segment: "at_risk", When: "recency_days > vars.active_days && monetary >= 1000"},
		{Segment: "lapsed", When: "recency_days > vars.lapsed_days"},
	}, "active", false, env)
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

func benchDuck(b *testing.B) *sql.DB {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.Exec(ctx, "CREATE TABLE customers AS "+benchInput); err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkRulesOnGo(b *testing.B) {
	db, rs := benchDuck(b), benchSet(b)
	pos := []int{0, 1, 2, 3}
	for b.Loop() {
		err := db.WithArrow(context.Background(), func(a *sql.Arrow) error {
			r, err := a.Query("SELECT recency_days, frequency, monetary, churn_score FROM customers")
			if err != nil {
				return err
			}
			defer r.Release()
			var batches []arrow.RecordBatch
			for r.Next() {
				rec := r.RecordBatch()
				rec.Retain()
				batches = append(batches, rec)
			}
			_, _, err = rs.Evaluate(context.Background(), batches, pos, 0)
			for _, rec := range batches {
				rec.Release()
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRulesOnDuckDBSQL(b *testing.B) {
	db, rs := benchDuck(b), benchSet(b)
	q, err := rs.SQL("customers", "customer_id", SQLOptions{Dialect: DuckDB})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if err := db.Exec(ctx, "CREATE OR REPLACE TABLE segs AS "+q.Membership); err != nil {
			b.Fatal(err)
		}
		var rows int64
		if err := db.QueryRow(ctx, "SELECT rows FROM ("+q.Stats+")").Scan(&rows); err != nil || rows != benchCustomers {
			b.Fatal(rows, err)
		}
	}
}

func BenchmarkRulesOnPostgresSQL(b *testing.B) {
	ctx := context.Background()
	server := pgtest.New(b)
	pg, err := pgx.Connect(ctx, server.DSN)
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close(ctx)
	vars := "CREATE TABLE segrun_vars AS SELECT DATE '2024-09-30' AS as_of, 10::bigint AS champion_orders, 90::bigint AS active_days, 180::bigint AS lapsed_days"
	for _, s := range []string{"CREATE TABLE customers AS " + benchInput, "ANALYZE customers", vars} {
		if _, err := pg.Exec(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	q, err := benchSet(b).SQL("customers", "customer_id", SQLOptions{Dialect: Postgres, VarsTable: "segrun_vars"})
	if err != nil {
		b.Fatal(err)
	}
	var membership, stats, copyOnly time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := pg.Exec(ctx, "DROP TABLE IF EXISTS segs; CREATE TABLE segs AS "+q.Membership); err != nil {
			b.Fatal(err)
		}
		membership += time.Since(start)
		start = time.Now()
		var rows int64
		if err := pg.QueryRow(ctx, "SELECT rows FROM ("+q.Stats+") AS s").Scan(&rows); err != nil || rows != benchCustomers {
			b.Fatal(rows, err)
		}
		stats += time.Since(start)
		// The floor: the same table written with a constant segment, no rule evaluated.
		start = time.Now()
		if _, err := pg.Exec(ctx, "DROP TABLE IF EXISTS segs0; CREATE TABLE segs0 AS SELECT customer_id, 'active' AS segment FROM customers"); err != nil {
			b.Fatal(err)
		}
		copyOnly += time.Since(start)
	}
	b.ReportMetric(membership.Seconds()/float64(b.N), "membership-s/op")
	b.ReportMetric(stats.Seconds()/float64(b.N), "stats-s/op")
	b.ReportMetric(copyOnly.Seconds()/float64(b.N), "constant-copy-s/op")
}
