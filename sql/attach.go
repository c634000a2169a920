package sql

import (
	"context"
	"errors"
)

// LockedError is Attach's error when another process holds the database file: Holder says who, from
// DuckDB's lock error. It wraps ErrLocked.
type LockedError struct{ Holder string }

func (e *LockedError) Error() string { return ErrLocked.Error() + ": " + e.Holder }
func (e *LockedError) Unwrap() error { return ErrLocked }

// Attach attaches the database file at path to d under catalog (read-only when readOnly). When another
// process holds the file the error is a *LockedError, so a caller can wait and retry; any other error is
// the first line of DuckDB's message. It is DuckDB's ATTACH, issued through the Workspace: the DuckDB
// store's way in (sql/store), not part of the interface; another engine's store attaches its own way.
func Attach(ctx context.Context, d Workspace, path, catalog string, readOnly bool) error {
	q := "ATTACH " + Literal(path) + " AS " + Ident(catalog)
	if readOnly {
		q += " (READ_ONLY)"
	}
	err := d.Exec(ctx, q)
	switch {
	case err == nil:
		return nil
	case isLockError(err):
		return &LockedError{Holder: lockHolder(err)}
	default:
		return errors.New(firstLine(err.Error()))
	}
}
