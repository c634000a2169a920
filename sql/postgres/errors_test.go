package postgres

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
)

// classified asserts err is a *sql.Error of class want whose message has each of parts.
func classified(t *testing.T, what string, err error, want sql.ErrorClass, parts ...string) *sql.Error {
	t.Helper()
	var se *sql.Error
	if !errors.As(err, &se) {
		t.Fatalf("%s: %v (%T), want a *sql.Error", what, err, err)
	}
	if se.Class() != want {
		t.Errorf("%s: class %v, want %v (%v)", what, se.Class(), want, err)
	}
	if !sql.IsEngineError(err) {
		t.Errorf("%s: not an engine error for the runner", what)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %q lacks %q", what, err.Error(), p)
		}
	}
	return se
}

// Errors are classified by SQLSTATE: the server's (unreachable, a missing grant) are the environment's
// (exit 3); a missing table, wrong types, bad data are the statement's (exit 1), located in it.
func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	dsn := pg(t)

	// Unreachable: a loopback port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, err = Open(ctx, "postgres://segrun:secret@127.0.0.1:"+strconv.Itoa(port)+"/postgres?sslmode=disable&connect_timeout=5", "x")
	classified(t, "unreachable server", err, sql.EnvironmentError, "127.0.0.1")
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the password is in the message: %v", err)
	}

	// Refused while connecting, whatever the SQLSTATE: a database that does not exist is the connection
	// string's (3D000 is no statement's fault).
	u, _ := url.Parse(dsn)
	u.Path = "/no_such_db"
	_, err = Open(ctx, u.String(), "x")
	classified(t, "a database that does not exist", err, sql.EnvironmentError, `database "no_such_db" does not exist`)

	d := open(t, "errors")
	se := classified(t, "missing table", d.CreateTableAs(ctx, "f", "SELECT customer_id\nFROM sales.orders"), sql.StatementError,
		`relation "sales.orders" does not exist`, "42P01")
	if se.Line != 2 || se.Column != 6 {
		t.Errorf("missing table at %d:%d, want 2:6", se.Line, se.Column)
	}
	_, err = d.Describe(ctx, "SELECT 'a'::text + 1")
	se = classified(t, "wrong types", err, sql.StatementError, "operator does not exist: text + integer", "42883")
	if se.Line != 1 || se.Column != 18 {
		t.Errorf("wrong types at %d:%d, want 1:18", se.Line, se.Column)
	}
	classified(t, "bad data", d.CreateTableAs(ctx, "g", "SELECT 'abc'::int AS x"), sql.StatementError, "invalid input syntax for type integer")

	// A role without the grant: permission denied is the deployment's to fix, not the spec's.
	for _, q := range []string{
		"DROP TABLE IF EXISTS public.secret_orders", "DROP ROLE IF EXISTS segrun_reader",
		"CREATE TABLE public.secret_orders (id int)", "CREATE ROLE segrun_reader LOGIN",
		"GRANT CREATE ON DATABASE postgres TO segrun_reader",
	} {
		if err := d.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	u, _ = url.Parse(dsn)
	u.User = url.User("segrun_reader")
	reader, err := Open(ctx, u.String(), "reader")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	classified(t, "permission denied", reader.CreateTableAs(ctx, "f", "SELECT id FROM secret_orders"), sql.EnvironmentError,
		"permission denied for table secret_orders", "42501")

	// A connection killed under the run (the server's administrator, a failover) is the environment's.
	var pid int
	if err := d.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if err := reader.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	admin := open(t, "admin")
	if err := admin.Exec(ctx, "SELECT pg_terminate_backend($1, 10000)", pid); err != nil {
		t.Fatal(err)
	}
	classified(t, "terminated connection", d.Exec(ctx, "SELECT 1"), sql.EnvironmentError)
}

// The connection string comes from the environment: an unset variable is an error naming it.
func TestOpenEnvNamesTheVariable(t *testing.T) {
	t.Setenv("SEGRUN_TEST_NO_DSN", "")
	_, err := OpenEnv(context.Background(), "SEGRUN_TEST_NO_DSN", "x")
	if err == nil || !strings.Contains(err.Error(), "environment variable SEGRUN_TEST_NO_DSN is not set") {
		t.Fatalf("unset variable: %v", err)
	}
}

// SQLSTATE classes map to segrun's error classes.
func TestClassOf(t *testing.T) {
	for code, want := range map[string]sql.ErrorClass{
		"08006": sql.EnvironmentError, "53100": sql.EnvironmentError, "53200": sql.OutOfMemory, "57014": sql.EnvironmentError,
		"57P01": sql.EnvironmentError, "58030": sql.EnvironmentError, "42501": sql.EnvironmentError, "28P01": sql.EnvironmentError,
		"55P03": sql.EnvironmentError, "40P01": sql.EnvironmentError, "40001": sql.EnvironmentError, "25006": sql.EnvironmentError,
		"42P01": sql.StatementError, "42601": sql.StatementError, "22012": sql.StatementError, "23505": sql.StatementError,
	} {
		if got := classOf(code); got != want {
			t.Errorf("SQLSTATE %s: class %v, want %v", code, got, want)
		}
	}
}

// A connection string without connect_timeout gets segrun's; one with it keeps its own.
func TestConnectTimeoutDefault(t *testing.T) {
	cfg, err := parseConfig("postgres://u@127.0.0.1:5432/db")
	if err != nil || cfg.ConnectTimeout != DefaultConnectTimeout || cfg.RuntimeParams["application_name"] != "segrun" {
		t.Errorf("no connect_timeout: %v %v %q", cfg.ConnectTimeout, err, cfg.RuntimeParams["application_name"])
	}
	cfg, err = parseConfig("host=127.0.0.1 connect_timeout=3 application_name=etl")
	if err != nil || cfg.ConnectTimeout.Seconds() != 3 || cfg.RuntimeParams["application_name"] != "etl" {
		t.Errorf("connect_timeout=3: %v %v %q", cfg.ConnectTimeout, err, cfg.RuntimeParams["application_name"])
	}
}
