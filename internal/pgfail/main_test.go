package pgfail

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/cli"
	"github.com/segrun/segrun/internal/pgtest"
)

// The package's server, started once in TestMain: every test reads the same small orders table and
// publishes (or fails to publish) into a store schema of its own.
var (
	srv *pgtest.Server
	// skipped says why there is no server (PostgreSQL is not installed, outside CI).
	skipped string
	// specDir holds the specs the tests write.
	specDir string
)

// dsnEnv is the variable the tests' specs name for the connection (dsn_env), so that a developer's own
// SEGRUN_PG_DSN is never the one a failing case changes.
const dsnEnv = "SEGRUN_PGFAIL_DSN"

// setupSQL is the data every test reads, and the roles the permission tests connect as: each lacks one
// grant the engine needs (docs/engines.md, "The run schema"). It starts by dropping what an earlier run
// left, so that it also runs on a server of one's own (SEGRUN_PG_DSN).
const setupSQL = `
DROP SCHEMA IF EXISTS pgfail_sales CASCADE;
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['pgfail_noselect', 'pgfail_nocreate', 'pgfail_nostore', 'pgfail_password'] LOOP
		IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('DROP OWNED BY %I', r);
			EXECUTE format('DROP ROLE %I', r);
		END IF;
	END LOOP;
END $$;
CREATE SCHEMA pgfail_sales;
CREATE TABLE pgfail_sales.orders (customer_id bigint, amount float8, ordered_at date, note text);
INSERT INTO pgfail_sales.orders SELECT i % 40 + 1, (i * 7) % 50 + 1, DATE '2026-01-01' + i % 90, 'n' || i FROM generate_series(1, 400) i;
CREATE ROLE pgfail_noselect LOGIN;
GRANT USAGE ON SCHEMA pgfail_sales TO pgfail_noselect;
CREATE ROLE pgfail_nocreate LOGIN;
GRANT USAGE ON SCHEMA pgfail_sales TO pgfail_nocreate;
GRANT SELECT ON pgfail_sales.orders TO pgfail_nocreate;
CREATE ROLE pgfail_nostore LOGIN;
GRANT USAGE ON SCHEMA pgfail_sales TO pgfail_nostore;
GRANT SELECT ON pgfail_sales.orders TO pgfail_nostore;
DO $$ BEGIN
	EXECUTE format('GRANT CREATE ON DATABASE %I TO pgfail_noselect, pgfail_nostore', current_database());
END $$;
CREATE ROLE pgfail_password LOGIN PASSWORD 'right-password';
`

// database and superuser are the server's database and the role the tests connect as, which messages
// name (the store schemas the tests publish belong to superuser).
var database, superuser string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "segrun-pgfail-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	specDir = dir
	srv, err = pgtest.Start()
	if err != nil {
		if pgtest.IsMissing(err) && os.Getenv("CI") != "true" {
			skipped = err.Error()
			return m.Run()
		}
		fmt.Fprintln(os.Stderr, "pgfail: starting PostgreSQL:", err)
		return 1
	}
	defer srv.Stop()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err == nil {
		_, err = conn.Exec(ctx, setupSQL)
		if err == nil {
			err = conn.QueryRow(ctx, "SELECT current_database()::text, current_user::text").Scan(&database, &superuser)
		}
		conn.Close(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgfail: setting up the data:", err)
		return 1
	}
	return m.Run()
}

// server skips the test without PostgreSQL, and returns a superuser connection, closed at the test's end.
func server(t *testing.T) *pgx.Conn {
	t.Helper()
	if srv == nil {
		t.Skipf("pgtest: %s", skipped)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// dsn is the server's connection string changed by edit (another user, password, port, options).
func dsn(t *testing.T, edit func(u *url.URL, q url.Values)) string {
	t.Helper()
	u, err := url.Parse(srv.DSN)
	if err != nil || u.Scheme == "" {
		t.Skipf("the server's connection string is not a URL (%s): cannot derive the failing ones", pgtest.EnvDSN)
	}
	q := u.Query()
	edit(u, q)
	// libpq's form: a space is %20 (pgx reads + as itself, and options holds "-c name=value").
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

// asUser is the server's connection string for another role.
func asUser(t *testing.T, role string) string {
	return dsn(t, func(u *url.URL, q url.Values) { u.User = url.User(role) })
}

// withOptions is the server's connection string with server settings for the session (-c name=value).
func withOptions(t *testing.T, settings string) string {
	return dsn(t, func(u *url.URL, q url.Values) { q.Set("options", settings) })
}

// specText is a pipeline of one table source, one feature and one rules segmentation on engine postgres,
// with the feature's select list and the source's declared columns given.
func specText(columns, selectList string) string {
	return `version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: ` + dsnEnv + `
sources:
  orders:
    table: pgfail_sales.orders
    columns:
` + columns + `
features:
  spend:
    sql: |
      SELECT customer_id, ` + selectList + `
      FROM orders WHERE ordered_at <= (SELECT as_of FROM segrun_vars)
      GROUP BY customer_id
segmentations:
  value:
    from: spend
    rules:
      - segment: big
        when: monetary > 200
    else: small
`
}

// goodColumns are pgfail_sales.orders's columns as declared by a spec that is right.
const goodColumns = `      customer_id: {type: BIGINT, not_null: true}
      amount: {type: DOUBLE}
`

// writeSpec writes a spec into the package's directory and returns its path.
func writeSpec(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(specDir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// goodSpec is the spec that runs.
func goodSpec(t *testing.T) string {
	return writeSpec(t, "good.yaml", specText(goodColumns, "sum(amount) AS monetary"))
}

// segrun runs the command line in process with the connection variable set to dsn ("" unsets it).
func segrun(t *testing.T, dsn string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv(dsnEnv, dsn)
	if dsn == "" {
		os.Unsetenv(dsnEnv)
	}
	return runCLI(args...)
}

// runCLI runs the command line in process, with the environment as it is.
func runCLI(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = cli.Run(args, &o, &e)
	return o.String(), e.String(), code
}

// published publishes a first version into a fresh store schema, so that the failing runs after it have
// a store with content to leave alone, and returns the --store flag's value.
func published(t *testing.T, conn *pgx.Conn, schema string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	store := "postgres:" + schema
	stdout, stderr, code := segrun(t, srv.DSN, "run", "--as-of", "2026-02-15", "--store", store, goodSpec(t))
	if code != cli.ExitOK || !strings.Contains(stdout, "published version 1 to "+store) {
		t.Fatalf("the first version: exit %d\n%s%s", code, stdout, stderr)
	}
	return store
}

// snapshot is every table and view of a store schema with all their rows, as text in a fixed order:
// two snapshots are equal when the store is byte-for-byte as it was.
func snapshot(t *testing.T, conn *pgx.Conn, schema string) string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'p') ORDER BY c.relname`, schema)
	if err != nil {
		t.Fatal(err)
	}
	var names, kinds []string
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			t.Fatal(err)
		}
		names, kinds = append(names, name), append(kinds, kind)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(names) == 0 {
		t.Fatalf("store schema %s has no tables", schema)
	}
	var b strings.Builder
	for i, name := range names {
		q := fmt.Sprintf("SELECT t::text FROM %q.%q t ORDER BY 1", schema, name)
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintf(&b, "== %s (%s)\n", name, kinds[i])
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
	}
	return b.String()
}

// sameStore fails the test when the store schema differs from before.
func sameStore(t *testing.T, conn *pgx.Conn, schema, before string) {
	t.Helper()
	if after := snapshot(t, conn, schema); after != before {
		t.Errorf("store %s changed:\nbefore:\n%s\nafter:\n%s", schema, before, after)
	}
}

// runSchemas are this process's run schemas on the server (segrun_run_*).
func runSchemas(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	// This process's: segrun_run_<time>_<pid>_<ns> and segrun_run_validate_<pid>_<ns> (a server of one's
	// own may hold other processes' runs).
	rows, err := conn.Query(context.Background(), "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'segrun_run_') AND strpos(nspname, $1) > 0 ORDER BY 1",
		fmt.Sprintf("_%d_", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// noRunSchemaLeft fails the test when a run schema is left on the server.
func noRunSchemaLeft(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	if left := runSchemas(t, conn); len(left) > 0 {
		t.Errorf("run schemas left behind: %v", left)
	}
}

// expect checks a failure's exit code and that stderr has every want.
func expect(t *testing.T, what string, code int, stdout, stderr string, wantCode int, wants ...string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("%s: exit %d, want %d\n%s%s", what, code, wantCode, stdout, stderr)
		return
	}
	for _, w := range wants {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr lacks %q:\n%s", what, w, stderr)
		}
	}
}

// backendWhere waits for a backend other than conn's whose activity matches cond (a WHERE over
// pg_stat_activity) and returns its PID; it fails the test after a generous while (no timing is asserted:
// the run under test is blocked or sleeping there).
func backendWhere(t *testing.T, conn *pgx.Conn, cond string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var pids []int
		rows, err := conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ("+cond+")")
		if err == nil {
			pids, err = pgx.CollectRows(rows, pgx.RowTo[int])
		}
		if err != nil {
			t.Error(err)
			return 0
		}
		if len(pids) > 0 {
			slices.Sort(pids)
			return pids[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("no backend where %s", cond)
	return 0
}
