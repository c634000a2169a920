// Command benchshards times the flagship's RFM feature on natively sharded PostgreSQL (internal/pgtest's
// coordinator and two postgres_fdw shards, all on this machine), on one PostgreSQL server and on DuckDB,
// with the same generated orders, and counts what crosses from the shards to the coordinator: the rows
// EXPLAIN ANALYZE saw leave the Foreign Scans, and the bytes the shards' sockets sent (ss). Not part of
// make test; its figures go into BENCHMARKS.md ("RFM on sharded PostgreSQL").
//
//	go run -tags duckdb_arrow ./scripts/benchshards --customers 1000000 --reps 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/pgshards"
	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
)

const asOf = "2024-12-31"

// workMem is every server's work_mem: the feature sorts each shard's orders for its count(distinct),
// which at PostgreSQL's default 4MB spills to disk; DuckDB uses the memory it needs.
const workMem = "1GB"

func main() {
	customers := flag.Int("customers", 1_000_000, "customers to generate (about 9 orders each)")
	reps := flag.Int("reps", 3, "repetitions of each engine, alternating")
	dataRoot := flag.String("data", ".bench/shards", "where the generated data is kept between runs (a directory per size)")
	flag.Parse()
	if err := run(*customers, *reps, *dataRoot); err != nil {
		fmt.Fprintln(os.Stderr, "benchshards:", err)
		os.Exit(1)
	}
}

type result struct {
	Customers      int                  `json:"customers"`
	Orders         int                  `json:"orders"`
	LoadAvgBefore  string               `json:"loadavg_before"`
	LoadAvgAfter   string               `json:"loadavg_after"`
	StartSeconds   float64              `json:"servers_start_seconds"`
	LoadSeconds    map[string]float64   `json:"load_seconds"`
	Seconds        map[string][]float64 `json:"rfm_seconds"`
	Median         map[string]float64   `json:"rfm_median_seconds"`
	RowsFromShards map[string]float64   `json:"rows_from_shards"`
	BytesToCoord   map[string]int64     `json:"bytes_shards_sent"`
	ResultRows     int64                `json:"result_rows"`
}

func run(customers, reps int, dataRoot string) error {
	ctx := context.Background()
	res := result{Customers: customers, LoadAvgBefore: loadavg(), LoadSeconds: map[string]float64{},
		Seconds: map[string][]float64{}, Median: map[string]float64{}, RowsFromShards: map[string]float64{}, BytesToCoord: map[string]int64{}}
	dir, err := filepath.Abs(filepath.Join(dataRoot, strconv.Itoa(customers)))
	if err != nil {
		return err
	}
	orders := filepath.Join(dir, examples.OrdersFile)
	if _, err := os.Stat(orders); err != nil {
		t := time.Now()
		if _, err := examples.GenerateRetail(dir, examples.RetailOptions{Customers: customers, Seed: 17}); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "generated %s in %.1f s\n", dir, time.Since(t).Seconds())
	}

	t := time.Now()
	sh, err := pgtest.StartSharded()
	if err != nil {
		return err
	}
	defer sh.Stop()
	res.StartSeconds = time.Since(t).Seconds()
	fmt.Fprintf(os.Stderr, "servers started in %.1f s; loading\n", res.StartSeconds)
	for _, s := range append([]*pgtest.Server{sh.Coordinator}, sh.Shards...) {
		if err := execOn(ctx, s.DSN, "ALTER SYSTEM SET work_mem = '"+workMem+"'", "SELECT pg_reload_conf()"); err != nil {
			return err
		}
	}

	t = time.Now()
	f, err := os.Open(orders)
	if err != nil {
		return err
	}
	err = sh.LoadCSV(ctx, "orders", f)
	f.Close()
	if err != nil {
		return err
	}
	res.LoadSeconds["sharded"] = time.Since(t).Seconds()

	coord, err := pgx.Connect(ctx, sh.Coordinator.DSN)
	if err != nil {
		return err
	}
	defer coord.Close(ctx)
	t = time.Now()
	if err := execConn(ctx, coord, pgshards.SingleServerSQL("single")...); err != nil {
		return err
	}
	if f, err = os.Open(orders); err != nil {
		return err
	}
	_, err = coord.PgConn().CopyFrom(ctx, f, "COPY single.orders FROM STDIN (FORMAT csv, HEADER true)")
	f.Close()
	if err != nil {
		return err
	}
	if err := execConn(ctx, coord, "ANALYZE single.orders"); err != nil {
		return err
	}
	res.LoadSeconds["single"] = time.Since(t).Seconds()
	if err := coord.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&res.Orders); err != nil {
		return err
	}
	if err := execConn(ctx, coord, pgshards.VarsTableSQL("segrun_run_bench", asOf)...); err != nil {
		return err
	}

	t = time.Now()
	duck, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		return err
	}
	defer duck.Close()
	if err := duck.Exec(ctx, pgshards.DuckDBLoadSQL(orders)); err != nil {
		return err
	}
	if err := duck.SetVariable(ctx, "as_of", "DATE", asOf); err != nil {
		return err
	}
	res.LoadSeconds["duckdb"] = time.Since(t).Seconds()
	fmt.Fprintf(os.Stderr, "loaded %d orders (sharded %.1f s, one server %.1f s, DuckDB %.1f s); measuring\n",
		res.Orders, res.LoadSeconds["sharded"], res.LoadSeconds["single"], res.LoadSeconds["duckdb"])

	// What crosses, measured once per form: rows from EXPLAIN ANALYZE, bytes from the shards' sockets.
	// A first statement on both shards opens the session's postgres_fdw connections, so that their
	// handshakes count in neither form.
	ports := shardPorts(sh)
	if err := execConn(ctx, coord, "SELECT count(*) FROM orders"); err != nil {
		return err
	}
	for _, form := range []struct{ name, query string }{
		{"pushed down (vars table)", pgshards.RFMPostgres},
		{"not pushed down (current_setting)", pgshards.RFMCurrentSetting},
	} {
		name, q := form.name, form.query
		before, err := bytesSent(ports)
		if err != nil {
			return err
		}
		var out []byte
		if err := coord.QueryRow(ctx, "EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) "+q).Scan(&out); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		after, err := bytesSent(ports)
		if err != nil {
			return err
		}
		plan, err := pgshards.ParsePlan(out)
		if err != nil {
			return err
		}
		res.RowsFromShards[name] = plan.RowsFromShards()
		res.BytesToCoord[name] = after - before
	}

	engines := []struct {
		name string
		run  func() error
	}{
		{"sharded PostgreSQL (coordinator + 2 shards)", func() error {
			return execConn(ctx, coord, "DROP TABLE IF EXISTS segrun_run_bench.rfm", "SET search_path = segrun_run_bench, public",
				"CREATE UNLOGGED TABLE segrun_run_bench.rfm AS "+pgshards.RFMPostgres)
		}},
		{"one PostgreSQL server", func() error {
			return execConn(ctx, coord, "DROP TABLE IF EXISTS segrun_run_bench.rfm", "SET search_path = segrun_run_bench, single",
				"CREATE UNLOGGED TABLE segrun_run_bench.rfm AS "+pgshards.RFMPostgres)
		}},
		{"DuckDB", func() error { return duck.Exec(ctx, "CREATE OR REPLACE TABLE rfm AS "+pgshards.RFMDuckDB) }},
	}
	for range reps {
		for _, e := range engines {
			t := time.Now()
			if err := e.run(); err != nil {
				return fmt.Errorf("%s: %w", e.name, err)
			}
			res.Seconds[e.name] = append(res.Seconds[e.name], time.Since(t).Seconds())
		}
	}
	for name, s := range res.Seconds {
		res.Median[name] = median(s)
	}
	if err := duck.QueryRow(ctx, "SELECT count(*) FROM rfm").Scan(&res.ResultRows); err != nil {
		return err
	}
	res.LoadAvgAfter = loadavg()
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

func execOn(ctx context.Context, dsn string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return execConn(ctx, conn, stmts...)
}

func execConn(ctx context.Context, conn *pgx.Conn, stmts ...string) error {
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func shardPorts(sh *pgtest.Sharded) []string {
	var ports []string
	for _, s := range sh.Shards {
		if u, err := url.Parse(s.DSN); err == nil {
			ports = append(ports, u.Port())
		}
	}
	return ports
}

var bytesSentField = regexp.MustCompile(`bytes_sent:(\d+)`)

// bytesSent sums what the shards' established sockets have sent (ss's bytes_sent): postgres_fdw keeps its
// connections for the session, so the difference around a statement is what that statement pulled.
func bytesSent(ports []string) (int64, error) {
	var total int64
	for _, p := range ports {
		out, err := exec.Command("ss", "-tinH", "state", "established", "( sport = :"+p+" )").Output()
		if err != nil {
			return 0, fmt.Errorf("ss: %v", err)
		}
		for _, m := range bytesSentField.FindAllSubmatch(out, -1) {
			n, _ := strconv.ParseInt(string(m[1]), 10, 64)
			total += n
		}
	}
	return total, nil
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
