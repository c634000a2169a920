package pgshards

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
)

// The package's servers and data, made once in TestMain: three PostgreSQL servers take about a second to
// initdb and start, the generated orders a little more to load, and every test reads the same.
var (
	sharded *pgtest.Sharded
	// skipped says why there are no servers (PostgreSQL is not installed, outside CI).
	skipped string
	// dataDir holds the generated customers.csv and orders.csv.
	dataDir string
)

// testCustomers is the generated data's size: some 20,000 orders, enough for both shards to hold many
// customers and for ties and refunds to occur, small enough to load in about a second.
const testCustomers = 2000

// testAsOf is the run's as_of: inside the generated history (2023-01-01 to 2025-03-31), so the filter drops rows.
const testAsOf = "2024-12-31"

// runSchema is the tests' per-run schema on the coordinator.
const runSchema = "segrun_run_test"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	start := time.Now()
	s, err := pgtest.StartSharded()
	if err != nil {
		if pgtest.IsMissing(err) && os.Getenv("CI") != "true" {
			skipped = err.Error()
			return m.Run()
		}
		fmt.Fprintln(os.Stderr, "pgshards: starting the sharded servers:", err)
		return 1
	}
	sharded = s
	defer s.Stop()
	started := time.Since(start)
	dir, err := os.MkdirTemp("", "segrun-pgshards-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dataDir = dir
	if err := load(context.Background(), dir); err != nil {
		fmt.Fprintln(os.Stderr, "pgshards: loading the generated data:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "pgshards: three servers started in %.2f s, data generated and loaded in %.2f s\n",
			started.Seconds(), time.Since(start).Seconds()-started.Seconds())
	}
	return m.Run()
}

// load generates the flagship's data and puts it on the shards and, for the single-server comparison, in
// plain tables of schema "single" on the coordinator.
func load(ctx context.Context, dir string) error {
	if _, err := examples.GenerateRetail(dir, examples.RetailOptions{Customers: testCustomers, Seed: 17}); err != nil {
		return err
	}
	if err := pgExec(ctx, SingleServerSQL("single")...); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, sharded.Coordinator.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, t := range pgtest.ShardedTables {
		path := filepath.Join(dir, t.Name+".csv")
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		err = sharded.LoadCSV(ctx, t.Name, f)
		f.Close()
		if err != nil {
			return err
		}
		if f, err = os.Open(path); err != nil {
			return err
		}
		_, err = conn.PgConn().CopyFrom(ctx, f, fmt.Sprintf("COPY single.%s FROM STDIN (FORMAT csv, HEADER true)", t.Name))
		f.Close()
		if err != nil {
			return err
		}
	}
	_, err = conn.Exec(ctx, "ANALYZE single.orders; ANALYZE single.customers")
	return err
}

// coordinator returns a connection to the coordinator with the run's schema and vars in place, closed at
// the test's end; it skips when PostgreSQL is not installed.
func coordinator(t *testing.T) *pgx.Conn {
	t.Helper()
	if sharded == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, sharded.Coordinator.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	// Each test makes the run's schema afresh in its own transaction-less session; drop a previous one.
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+runSchema+" CASCADE"); err != nil {
		t.Fatal(err)
	}
	for _, q := range VarsTableSQL(runSchema, testAsOf) {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return conn
}

func pgExec(ctx context.Context, stmts ...string) error {
	conn, err := pgx.Connect(ctx, sharded.Coordinator.DSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// duck opens DuckDB in process with the same generated data and as_of, closed at the test's end.
func duck(t *testing.T) sql.Workspace {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Exec(ctx, DuckDBLoadSQL(filepath.Join(dataDir, "orders.csv"))); err != nil {
		t.Fatal(err)
	}
	if err := db.SetVariable(ctx, "as_of", "DATE", testAsOf); err != nil {
		t.Fatal(err)
	}
	return db
}
