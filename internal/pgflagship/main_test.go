package pgflagship

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql"
)

// customers is the generated data's size. The default, a few thousand customers (some 20,000 orders and
// refunds), loads in about a second and has every case the features meet: refunds, customers whose
// orders all come after as_of, customers the churn model did not score. -pgflagship.customers=1000000
// runs the same proof at the benchmarks' size.
var customers = flag.Int("pgflagship.customers", 3000, "customers to generate (the demo's seed)")

// The package's servers and data, made once in TestMain: four PostgreSQL servers (one plain, a
// coordinator and two shards) take a few seconds to start, and every test reads the same data.
var (
	plain   *pgtest.Server
	sharded *pgtest.Sharded
	// skipped says why there are no servers (PostgreSQL is not installed, outside CI).
	skipped string
	// dataDir holds the generated CSV files and churn.csv.
	dataDir string
)

// asOfs are the dates every feature is compared at: make demo's two runs, and the earlier one's
// point-in-time training date (90 days before, the churn model's label window), at which the run
// computes the same features again.
var asOfs = []string{"2024-07-02", "2024-09-30", "2024-12-31"}

// runSchema is the tests' per-run schema, as the engine names them (segrun_run_<id>).
const runSchema = "segrun_run_test"

// churnFile holds the stand-in scores of the churn model, which lifecycle_input joins: the model itself
// is Go's, not SQL, so the test gives both engines the same scores to read.
const churnFile = "churn.csv"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "segrun-pgflagship-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	dataDir = dir
	start := time.Now()
	stats, err := Generate(dir, *customers)
	if err == nil {
		err = writeChurn(filepath.Join(dir, churnFile), *customers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgflagship: generating the data:", err)
		return 1
	}
	generated := time.Since(start)

	plain, err = pgtest.Start()
	if err != nil {
		if pgtest.IsMissing(err) && os.Getenv("CI") != "true" {
			skipped = err.Error()
			return m.Run()
		}
		fmt.Fprintln(os.Stderr, "pgflagship: starting PostgreSQL:", err)
		return 1
	}
	defer plain.Stop()
	if sharded, err = pgtest.StartSharded(); err != nil {
		fmt.Fprintln(os.Stderr, "pgflagship: starting the sharded servers:", err)
		return 1
	}
	defer sharded.Stop()
	started := time.Since(start) - generated

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, plain.DSN)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = LoadPlain(ctx, conn, dir, "public")
	conn.Close(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgflagship: loading one server:", err)
		return 1
	}
	loadedPlain := time.Since(start) - generated - started
	if err := LoadSharded(ctx, sharded, dir); err != nil {
		fmt.Fprintln(os.Stderr, "pgflagship: loading the shards:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "pgflagship: %d customers, %d orders generated in %.2f s; servers started in %.2f s; loaded into one server in %.2f s, onto the shards in %.2f s\n",
			stats.Customers, stats.Orders, generated.Seconds(), started.Seconds(), loadedPlain.Seconds(),
			(time.Since(start) - generated - started - loadedPlain).Seconds())
	}
	return m.Run()
}

// writeChurn writes the churn model's stand-in scores: every customer but each fifth (left unscored, so
// lifecycle_input's coalesce is exercised) gets a score in [0, 1) from their id, with the lifecycle
// rule's threshold 0.7 itself among them, written with 17 significant digits so both engines read the
// same double.
func writeChurn(path string, n int) error {
	b := []byte("customer_id,churn_score\n")
	for id := 1; id <= n; id++ {
		if id%5 == 0 {
			continue
		}
		score := math.Mod(float64(id)*0.6180339887498949, 1)
		if id%97 == 0 {
			score = 0.7
		}
		b = strconv.AppendInt(b, int64(id), 10)
		b = append(b, ',')
		b = strconv.AppendFloat(b, score, 'g', 17, 64)
		b = append(b, '\n')
	}
	return os.WriteFile(path, b, 0o644)
}

// engine is where the test runs the flagship's features: DuckDB in process, one PostgreSQL server, or the
// sharded coordinator.
type engine interface {
	// prepare sets the run up for as_of: the vars, the churn scores, no feature tables yet.
	prepare(t *testing.T, asOf string)
	// materialize runs a feature into a table of its name, as the engine's run does.
	materialize(name, query string) error
	fetch(query string) (*Result, error)
}

// duckEngine is DuckDB in process, the sources read from the CSV files with the flagship's types.
type duckEngine struct{ ws sql.Workspace }

func newDuck(t *testing.T) *duckEngine {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, tb := range Tables {
		types := ""
		for col, typ := range tb.DuckDBTypes {
			if types != "" {
				types += ", "
			}
			types += sql.Literal(col) + ": " + sql.Literal(typ)
		}
		q := fmt.Sprintf("CREATE TABLE %s AS SELECT * FROM read_csv(%s, header = true, types = {%s})",
			tb.Name, sql.Literal(filepath.Join(dataDir, tb.File)), types)
		if err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	q := fmt.Sprintf("CREATE TABLE churn AS SELECT * FROM read_csv(%s, header = true, columns = {'customer_id': 'BIGINT', 'churn_score': 'DOUBLE'})",
		sql.Literal(filepath.Join(dataDir, churnFile)))
	if err := db.Exec(ctx, q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return &duckEngine{ws: db}
}

func (d *duckEngine) prepare(t *testing.T, asOf string) {
	t.Helper()
	if err := d.ws.SetVariable(context.Background(), "as_of", "DATE", asOf); err != nil {
		t.Fatal(err)
	}
}

func (d *duckEngine) materialize(name, query string) error {
	return d.ws.CreateTableAs(context.Background(), name, query)
}

func (d *duckEngine) fetch(query string) (*Result, error) {
	return FetchDuckDB(context.Background(), d.ws, query)
}

// pgEngine is a PostgreSQL server (plain or the coordinator) with the flagship's tables in public, and a
// per-run schema holding the vars table, the churn scores and the features, first on the search path.
type pgEngine struct{ conn *pgx.Conn }

func newPG(t *testing.T, dsn string) *pgEngine {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return &pgEngine{conn: conn}
}

func (p *pgEngine) prepare(t *testing.T, asOf string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		"DROP SCHEMA IF EXISTS " + runSchema + " CASCADE",
		"CREATE SCHEMA " + runSchema,
		"CREATE TABLE " + runSchema + ".segrun_vars (as_of date NOT NULL)",
		"INSERT INTO " + runSchema + ".segrun_vars VALUES ('" + asOf + "')",
		"CREATE TABLE " + runSchema + ".churn (customer_id bigint NOT NULL, churn_score double precision NOT NULL)",
		"SET search_path = " + runSchema + ", public",
	} {
		if _, err := p.conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f, err := os.Open(filepath.Join(dataDir, churnFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := CopyCSV(ctx, p.conn, f, runSchema+".churn"); err != nil {
		t.Fatal(err)
	}
}

// runAt runs the spec at path as of asOf (a date), failing the test with the validation's diagnostics
// when the run returns an error; what the result must hold is the caller's to check.
func runAt(t *testing.T, path, asOf string) *runner.Result {
	t.Helper()
	at, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner.Run(context.Background(), path, runner.RunOptions{AsOf: at})
	if err != nil {
		if res != nil && res.Validation != nil && len(res.Validation.Diagnostics) > 0 {
			t.Fatalf("%s as of %s: %v\n%v", filepath.Base(path), asOf, err, res.Validation.Diagnostics)
		}
		t.Fatalf("%s as of %s: %v", filepath.Base(path), asOf, err)
	}
	return res
}

// stageChurn connects to dsn, drops the given schemas (stores, destinations) and loads the churn
// model's stand-in scores into public.churn, which the runs' specs read as {table: public.churn}. The
// schemas and the table are dropped again, and the connection closed, when the test ends.
func stageChurn(t *testing.T, dsn string, schemas ...string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn := newPG(t, dsn).conn
	var drop []string
	for _, s := range schemas {
		drop = append(drop, "DROP SCHEMA IF EXISTS "+s+" CASCADE")
	}
	drop = append(drop, "DROP TABLE IF EXISTS public.churn")
	t.Cleanup(func() { conn.Exec(ctx, strings.Join(drop, "; ")) })
	for _, q := range append(drop, "CREATE TABLE public.churn (customer_id bigint NOT NULL, churn_score double precision NOT NULL)") {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(filepath.Join(dataDir, churnFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := CopyCSV(ctx, conn, f, "public.churn"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// materialize creates the feature's table as the engine does, UNLOGGED in the run's schema.
func (p *pgEngine) materialize(name, query string) error {
	_, err := p.conn.Exec(context.Background(), "CREATE UNLOGGED TABLE "+runSchema+"."+name+" AS "+query)
	return err
}

func (p *pgEngine) fetch(query string) (*Result, error) {
	return FetchPostgres(context.Background(), p.conn, query)
}

// servers returns the two PostgreSQL engines, skipping the test without PostgreSQL.
func servers(t *testing.T) map[string]*pgEngine {
	t.Helper()
	if plain == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	return map[string]*pgEngine{"one server": newPG(t, plain.DSN), "shards": newPG(t, sharded.Coordinator.DSN)}
}
