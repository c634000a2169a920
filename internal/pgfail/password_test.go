package pgfail

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
)

// requirePassword makes the server ask role for its password over TCP (pg_hba.conf's first line, then a
// reload), undone at the test's end, and says whether it could. The throwaway server trusts everyone; a
// server the tests did not start (SEGRUN_PG_DSN) is not the tests' to reconfigure.
func requirePassword(t *testing.T, conn *pgx.Conn, role string) bool {
	t.Helper()
	if os.Getenv(pgtest.EnvDSN) != "" {
		t.Logf("not requiring a password on a server of %s's", pgtest.EnvDSN)
		return false
	}
	ctx := context.Background()
	var path string
	if err := conn.QueryRow(ctx, "SHOW hba_file").Scan(&path); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Logf("cannot read the server's hba file to require a password: %v", err)
		return false
	}
	line := "host all " + role + " 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(path, []byte(line+string(old)), 0); err != nil {
		t.Logf("cannot write the server's hba file to require a password: %v", err)
		return false
	}
	reload := func() {
		if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		os.WriteFile(path, old, 0)
		reload()
	})
	reload()
	// The reload is asynchronous: wait until the server asks (a connection without the password fails).
	for range 500 {
		c, err := pgx.Connect(ctx, asUser(t, role))
		if err != nil && strings.Contains(err.Error(), "password") {
			return true
		}
		if c != nil {
			c.Close(ctx)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server does not ask for the password after the reload")
	return false
}
