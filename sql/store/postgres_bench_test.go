package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// benchRuns numbers the benchmark's PostgreSQL stores, which share the package's server.
var benchRuns int

// BenchmarkPublish publishes a first version of a million customers in five segments, then a second where
// one in ten moved, to a DuckDB store and to a PostgreSQL one: Diff and Publish only (the results are
// made before the clock starts). go test -run '^$' -bench Publish -benchtime 1x ./sql/store
func BenchmarkPublish(b *testing.B) {
	const n = 1_000_000
	results := []string{
		fmt.Sprintf("SELECT g AS customer_id, 's' || (g %% 5) AS segment FROM generate_series(1, %d) t(g)", n),
		fmt.Sprintf("SELECT g AS customer_id, 's' || (CASE WHEN g %% 10 = 0 THEN g %% 5 + 1 ELSE g %% 5 END) AS segment FROM generate_series(1, %d) t(g)", n),
	}
	ctx := context.Background()
	publish := func(b *testing.B, st *store.Store, exec func(string) error) {
		for i, q := range results {
			b.StopTimer()
			table := fmt.Sprintf("result_%d", i+1)
			if err := exec("CREATE TABLE " + table + " AS " + q); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			v := store.Version{Segmentation: "tier", Table: table, EntityColumn: "customer_id", Method: "rules", Entities: n}
			d, err := st.Diff(ctx, int64(i), v)
			if err != nil {
				b.Fatal(err)
			}
			rec := store.RunRecord{ID: int64(i + 1), Pipeline: "bench", AsOf: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC), SpecHash: "x",
				SegrunVersion: "bench", StartedAt: time.Now().UTC(), Entity: "customer_id", EntityType: "BIGINT"}
			if _, err := st.Publish(ctx, rec, 0, []store.Version{v}, []*store.Diff{d}, store.PublishOptions{}); err != nil {
				b.Fatal(err)
			}
			if err := st.DropStaging(ctx, "tier"); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(start).Seconds(), fmt.Sprintf("version%d-s", i+1))
		}
	}
	b.Run("duckdb", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			db, err := sql.Open(ctx, "", sql.Options{})
			if err != nil {
				b.Fatal(err)
			}
			st, err := store.Attach(ctx, db, filepath.Join(b.TempDir(), "segrun.duckdb"), store.ReadWrite, 0)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			publish(b, st, func(q string) error { return db.Exec(ctx, q) })
			db.Close()
		}
	})
	b.Run("postgres", func(b *testing.B) {
		srv := pgServer(b)
		for range b.N {
			b.StopTimer()
			benchRuns++
			schema, ws := fmt.Sprintf("bench_%d", benchRuns), fmt.Sprintf("bench_run_%d", benchRuns)
			st, err := store.OpenPostgres(ctx, srv.DSN, schema, store.ReadWrite, 0)
			if err != nil {
				b.Fatal(err)
			}
			c, err := pgx.Connect(ctx, srv.DSN)
			if err != nil {
				b.Fatal(err)
			}
			for _, q := range []string{"CREATE SCHEMA " + ws, "SET search_path TO " + ws} {
				if _, err := c.Exec(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			if err := st.UseWorkspaceSchema(ctx, ws); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			publish(b, st, func(q string) error { _, err := c.Exec(ctx, q); return err })
			st.Close()
			c.Close(ctx)
		}
	})
}
