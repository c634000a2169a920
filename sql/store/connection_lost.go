package store

import (
	"context"
	"fmt"
	"time"
)

// connectTimeout bounds connecting to the store's database when the connection string sets no
// connect_timeout, as the engine's connection is bounded (postgres.DefaultConnectTimeout): a server that
// accepts and never answers would otherwise hold the command forever.
const connectTimeout = 30 * time.Second

// connectionGone says whether the store's connection is closed under it: a PostgreSQL server ended it
// (pg_terminate_backend, a restart, a failover) or the network dropped it. The server rolls back what the
// connection's transaction wrote; a ROLLBACK sent on it could only fail with "conn closed".
func (s *Store) connectionGone() bool {
	c, ok := s.raw.(pgConn)
	return ok && c.c.IsClosed()
}

// CommitUnknownError is Publish's connection lost at its COMMIT: the server may have committed the run
// before the connection went, or not, and only the store can say which. The caller looks (Published).
type CommitUnknownError struct {
	// Run is the run Publish was committing, and StartedAt its record's, which tell it from a run of
	// the same id another writer may have published since the connection went.
	Run       int64
	StartedAt time.Time
	Err       error
}

func (e *CommitUnknownError) Error() string {
	return fmt.Sprintf("the connection was lost while committing version %d (%v): the server may have committed it or not", e.Run, e.Err)
}

func (e *CommitUnknownError) Unwrap() error { return e.Err }

// Committed says whether the run whose COMMIT was lost is in the store s (opened on a new connection):
// a run of its id started when it did (to the microsecond the store keeps).
func Committed(ctx context.Context, s *Store, e *CommitUnknownError) (bool, error) {
	r, err := s.RunByID(ctx, e.Run)
	if err != nil || r == nil {
		return false, err
	}
	return r.StartedAt.UTC().Truncate(time.Microsecond).Equal(e.StartedAt.UTC().Truncate(time.Microsecond)), nil
}
