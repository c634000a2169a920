package store

import "context"

// Test hooks for the external tests (package store_test).

// BackendPID is the process id of a PostgreSQL store's backend, for a test to kill it.
func (s *Store) BackendPID(ctx context.Context, pid *int) error {
	return s.db.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(pid)
}

// QueryRowForTest runs a query of the store's (segrun_store.<table>, ? parameters) and scans its row.
func (s *Store) QueryRowForTest(ctx context.Context, q string, dest ...any) error {
	return s.db.QueryRow(ctx, q).Scan(dest...)
}
