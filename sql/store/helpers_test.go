package store

import (
	"context"
	"testing"

	"github.com/segrun/segrun/sql"
)

// openTest opens an in-memory workspace for a test.
func openTest(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open(context.Background(), "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
