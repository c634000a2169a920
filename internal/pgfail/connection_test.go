package pgfail

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/segrun/segrun/cli"
)

// A connection that cannot be made (nothing listening, a wrong password, a database or role that does
// not exist, a connection string that does not parse, the variable unset) is the environment's problem:
// exit 3 at validate and at run, naming the variable, never showing the password, and the store untouched.
func TestConnectionFailures(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_connect")
	before := snapshot(t, conn, "fail_connect")
	spec := goodSpec(t)
	closedPort := dsn(t, func(u *url.URL, q url.Values) { u.Host = "127.0.0.1:1" })
	// A server that accepts and never answers (a hung server, a proxy whose backend is gone): only a
	// connect timeout ends the wait (segrun's default is postgres.DefaultConnectTimeout; 1 s here).
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var held []net.Conn // held open, never answered; closed when the listener is
		for {
			c, err := silent.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	hung := dsn(t, func(u *url.URL, q url.Values) {
		u.Host = silent.Addr().String()
		q.Set("connect_timeout", "1")
		q.Set("sslmode", "disable")
	})
	type failing struct {
		name, dsn string
		wants     []string
	}
	var cases []failing
	if requirePassword(t, conn, "pgfail_password") {
		cases = append(cases, failing{"a wrong password", dsn(t, func(u *url.URL, q url.Values) { u.User = url.UserPassword("pgfail_password", "wrong-password") }),
			[]string{"connection string from " + dsnEnv, `password authentication failed for user "pgfail_password"`, "28P01"}})
	}
	for _, tc := range append(cases, []failing{
		{"a server that never answers", hung, []string{"connection string from " + dsnEnv, silent.Addr().String(), "timeout"}},
		{"nothing listens on the port", closedPort, []string{"connection string from " + dsnEnv, "127.0.0.1:1", "connection refused"}},
		{"a database that does not exist", dsn(t, func(u *url.URL, q url.Values) { u.Path = "/no_such_db" }),
			[]string{"connection string from " + dsnEnv, `database "no_such_db" does not exist`}},
		{"a role that does not exist", asUser(t, "no_such_role"), []string{"connection string from " + dsnEnv, `role "no_such_role" does not exist`}},
		{"a connection string that does not parse", "host=127.0.0.1 password=secret-word bogus", []string{"connection string from " + dsnEnv, "does not parse"}},
	}...) {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := segrun(t, tc.dsn, "validate", spec)
			expect(t, "validate", code, stdout, stderr, cli.ExitEnvironment, tc.wants...)
			stdout, stderr, code = segrun(t, tc.dsn, "run", "--as-of", "2026-03-31", "--store", store, spec)
			expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, append(tc.wants, "nothing was published")...)
			for _, secret := range []string{"secret-word", "wrong-password"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("the password is in the output:\n%s%s", stdout, stderr)
				}
			}
		})
	}
	// Unset: validate parses offline and says what it skipped (exit 0); a run needs the server (exit 3).
	stdout, stderr, code := segrun(t, "", "validate", spec)
	expect(t, "validate, variable unset", code, stdout, stderr, cli.ExitOK, "set "+dsnEnv+" to type it on the server", "spec valid")
	stdout, stderr, code = segrun(t, "", "run", "--as-of", "2026-03-31", "--store", store, spec)
	expect(t, "run, variable unset", code, stdout, stderr, cli.ExitEnvironment, "the environment variable "+dsnEnv+" is not set", "nothing was published")
	sameStore(t, conn, "fail_connect", before)
	noRunSchemaLeft(t, conn)
}
