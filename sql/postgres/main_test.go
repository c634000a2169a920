package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/segrun/segrun/internal/pgtest"
)

// server is the package's PostgreSQL server, started once by TestMain; pgErr says why there is none.
var (
	server *pgtest.Server
	pgErr  error
)

func TestMain(m *testing.M) {
	server, pgErr = pgtest.Start()
	code := m.Run()
	if server != nil {
		server.Stop()
	}
	os.Exit(code)
}

// pg returns the server's DSN, or skips (fails under CI=true) without one.
func pg(t *testing.T) string {
	t.Helper()
	if pgErr != nil {
		if pgtest.IsMissing(pgErr) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v", pgErr)
		}
		t.Fatalf("pgtest: %v", pgErr)
	}
	return server.DSN
}

// open opens the engine for run id on the test server, closed at the test's end.
func open(t *testing.T, id string) *DB {
	t.Helper()
	d, err := Open(context.Background(), pg(t), id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
