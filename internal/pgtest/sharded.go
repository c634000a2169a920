package pgtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Sharded is natively sharded PostgreSQL on loopback: a coordinator whose tables are hash-partitioned by
// customer_id, each partition a postgres_fdw foreign table on a shard server, so that a per-customer
// aggregate runs partition by partition on the shards (docs/engines.md, "Sharded PostgreSQL"). Every
// server is a real one of its own (its own data directory, port and postmaster), started as Start starts
// one; SEGRUN_PG_DSN does not apply, since the fixture is three servers.
type Sharded struct {
	// Coordinator holds the partitioned tables, the foreign servers and the user mappings; DSN connects to
	// it, and every connection to its database "postgres" has partition-wise aggregation and joins on.
	Coordinator *Server
	// Shards hold the rows: Shards[i] has the partition with REMAINDER i of every ShardedTables table, in
	// a plain table of the same name.
	Shards []*Server
}

// ShardCount is how many shard servers StartSharded starts, one hash partition on each.
const ShardCount = 2

// ShardedTable is a table the fixture shards by customer_id: the same columns on the coordinator (the
// partitioned parent) and on every shard (a plain table), in the order of the example generator's CSV
// files (examples.GenerateRetail), so its files load as they are.
type ShardedTable struct {
	Name    string
	Columns string
}

// ShardedTables are the flagship's two per-customer tables.
var ShardedTables = []ShardedTable{
	{"orders", "customer_id bigint NOT NULL, order_id bigint NOT NULL, ordered_at timestamp NOT NULL, amount numeric(12,2) NOT NULL"},
	{"customers", "customer_id bigint NOT NULL, signup_date date, country text, channel text, birth_year integer, email_opt_in boolean, email text"},
}

// NewSharded starts the sharded fixture for one test (or a package's TestMain, through StartSharded),
// stopped at its end; it skips without PostgreSQL's binaries as New does.
func NewSharded(t TB) *Sharded {
	t.Helper()
	s, err := StartSharded()
	if err != nil {
		if IsMissing(err) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v", err)
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartSharded starts the coordinator and ShardCount shards and creates the sharded schema; the caller
// stops it. The cluster is initdb'd once and its directory copied for the other servers (a copy takes a
// tenth of a second, initdb about a second, three times that on a busy 2-core machine); the three
// servers then start in parallel.
func StartSharded() (*Sharded, error) {
	servers := make([]*Server, 1+ShardCount)
	sh := &Sharded{}
	fail := func(err error) (*Sharded, error) {
		for _, s := range servers {
			if s != nil {
				s.cleanDir()
			}
		}
		return nil, err
	}
	for i := range servers {
		s, err := newServer()
		if err != nil {
			return fail(err)
		}
		servers[i] = s
	}
	if err := servers[0].initdb(); err != nil {
		servers[0] = nil
		return fail(err)
	}
	for _, s := range servers[1:] {
		if out, err := s.runAsOwner("cp", "-a", filepath.Join(servers[0].dir, "data"), filepath.Join(s.dir, "data")); err != nil {
			return fail(fmt.Errorf("copying the initdb'd cluster: %v\n%s", err, out))
		}
	}
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// start removes the directory of a server that does not start.
			if errs[i] = s.start(); errs[i] != nil {
				servers[i] = nil
			}
		}()
	}
	wg.Wait()
	sh.Coordinator, sh.Shards = servers[0], servers[1:]
	if err := errors.Join(errs...); err != nil {
		sh.Stop()
		return nil, err
	}
	if err := sh.setup(context.Background()); err != nil {
		sh.Stop()
		return nil, err
	}
	return sh, nil
}

// runAsOwner runs a command as the user the server runs as (the tests' own user unless root).
func (s *Server) runAsOwner(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	if s.user != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.user, "--", name}, args...)...)
	}
	return cmd.CombinedOutput()
}

// Stop stops every server of the fixture.
func (sh *Sharded) Stop() {
	for _, s := range append([]*Server{sh.Coordinator}, sh.Shards...) {
		if s != nil {
			s.Stop()
		}
	}
}

// ShardSetupSQL is what a DBA runs on each shard: the plain tables that hold its partition's rows.
func ShardSetupSQL() []string {
	var stmts []string
	for _, t := range ShardedTables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (%s)", t.Name, t.Columns))
	}
	return stmts
}

// ShardAddress is where the coordinator reaches a shard.
type ShardAddress struct {
	Host, Port, DBName, User string
}

// CoordinatorSetupSQL is what a DBA runs on the coordinator (as a superuser, in database dbname): the
// foreign servers and user mappings, the partitioned parents, one foreign partition per shard, and the
// settings that let the planner aggregate and join partition by partition. Shard i holds REMAINDER i.
//
// The foreign servers' options: use_remote_estimate asks each shard for its costs (without it the planner
// guesses the foreign tables' sizes and may not push a GROUP BY down), fetch_size raises the 100 rows per
// round trip postgres_fdw fetches by default (aggregated rows still cross the network, one per customer),
// and async_capable lets the Append above the partitions start every shard's query at once rather than one
// after the other. `extensions` would name extensions whose functions may be shipped; the RFM feature uses
// none.
func CoordinatorSetupSQL(dbname string, shards []ShardAddress) []string {
	stmts := []string{"CREATE EXTENSION IF NOT EXISTS postgres_fdw"}
	for i, a := range shards {
		stmts = append(stmts,
			fmt.Sprintf("CREATE SERVER shard%d FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %s, port %s, dbname %s, "+
				"use_remote_estimate 'true', fetch_size '10000', async_capable 'true')", i, fdwLiteral(a.Host), fdwLiteral(a.Port), fdwLiteral(a.DBName)),
			fmt.Sprintf("CREATE USER MAPPING FOR CURRENT_USER SERVER shard%d OPTIONS (user %s)", i, fdwLiteral(a.User)))
	}
	for _, t := range ShardedTables {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (%s) PARTITION BY HASH (customer_id)", t.Name, t.Columns))
		for i := range shards {
			stmts = append(stmts, fmt.Sprintf("CREATE FOREIGN TABLE %s_shard%d PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d) "+
				"SERVER shard%d OPTIONS (schema_name 'public', table_name %s)", t.Name, i, t.Name, len(shards), i, i, fdwLiteral(t.Name)))
		}
	}
	for _, setting := range []string{"enable_partitionwise_aggregate", "enable_partitionwise_join"} {
		stmts = append(stmts, fmt.Sprintf("ALTER DATABASE %s SET %s = on", dbname, setting))
	}
	return stmts
}

func fdwLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// setup creates the shards' tables and the coordinator's sharded schema.
func (sh *Sharded) setup(ctx context.Context) error {
	var addrs []ShardAddress
	for i, s := range sh.Shards {
		if err := Exec(ctx, s.DSN, ShardSetupSQL()...); err != nil {
			return fmt.Errorf("shard %d: %w", i, err)
		}
		u, err := url.Parse(s.DSN)
		if err != nil {
			return err
		}
		addrs = append(addrs, ShardAddress{Host: u.Hostname(), Port: u.Port(), DBName: strings.TrimPrefix(u.Path, "/"), User: u.User.Username()})
	}
	if err := Exec(ctx, sh.Coordinator.DSN, CoordinatorSetupSQL("postgres", addrs)...); err != nil {
		return fmt.Errorf("coordinator: %w", err)
	}
	return nil
}

// Exec runs stmts in order on a connection of its own to dsn, naming the statement that failed.
func Exec(ctx context.Context, dsn string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, dsn)
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

// LoadCSV puts the rows of csv (a CSV file with a header line, the table's columns in order, as
// examples.GenerateRetail writes them) into table, each row on the shard its customer_id hashes to, and
// analyzes the shards' tables. The rows pass once through the coordinator, which knows the hash: they are
// copied into a temporary table there, and each shard's share is copied out of it (binary COPY, selected
// with satisfies_hash_partition, the function the partitions' constraints use) straight into the shard's
// table. Inserting through the partitioned table would do the same one row per round trip over
// postgres_fdw (PostgreSQL 15 batches INSERT with the server's batch_size option, but not COPY).
func (sh *Sharded) LoadCSV(ctx context.Context, table string, csv io.Reader) error {
	coord, err := pgx.Connect(ctx, sh.Coordinator.DSN)
	if err != nil {
		return err
	}
	defer coord.Close(ctx)
	stage := "segrun_load_" + table
	if _, err := coord.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (LIKE %s)", stage, table)); err != nil {
		return err
	}
	if _, err := coord.PgConn().CopyFrom(ctx, csv, fmt.Sprintf("COPY %s FROM STDIN (FORMAT csv, HEADER true)", stage)); err != nil {
		return fmt.Errorf("loading %s: %w", table, err)
	}
	for i, s := range sh.Shards {
		if err := copyShare(ctx, coord, s.DSN, table, stage, len(sh.Shards), i); err != nil {
			return fmt.Errorf("loading %s into shard %d: %w", table, i, err)
		}
	}
	_, err = coord.Exec(ctx, "DROP TABLE "+stage)
	return err
}

// copyShare copies the rows of stage that belong to partition remainder of table into that shard's table.
func copyShare(ctx context.Context, coord *pgx.Conn, shardDSN, table, stage string, modulus, remainder int) error {
	shard, err := pgx.Connect(ctx, shardDSN)
	if err != nil {
		return err
	}
	defer shard.Close(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := shard.PgConn().CopyFrom(ctx, pr, fmt.Sprintf("COPY %s FROM STDIN (FORMAT binary)", table))
		pr.CloseWithError(err)
		done <- err
	}()
	_, err = coord.PgConn().CopyTo(ctx, pw, fmt.Sprintf(
		"COPY (SELECT * FROM %s WHERE satisfies_hash_partition('%s'::regclass, %d, %d, customer_id)) TO STDOUT (FORMAT binary)",
		stage, table, modulus, remainder))
	pw.CloseWithError(err)
	if cerr := <-done; err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	_, err = shard.Exec(ctx, "ANALYZE "+table)
	return err
}
