package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// nothingPublished is what a failed run on engine postgres says of the store: the store's transaction is
// the run's last statement and commits whole or not at all, so a run that stops before it, or inside it,
// publishes nothing.
const nothingPublished = "nothing was published"

// postgresFailure adds to a failed run's error on engine postgres that nothing was published, unless it
// says so already (a refused version, a failed publish). The error keeps its type, which decides the exit
// code (a *Failure is exit 1); an interrupt is left as it is (the command line says it for every engine).
func postgresFailure(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), nothingPublished) {
		return err
	}
	var f *Failure
	if errors.As(err, &f) && f == err {
		g := *f
		g.Msg += "; " + nothingPublished
		return &g
	}
	return fmt.Errorf("%w; %s", err, nothingPublished)
}

// closeRun closes the engine's connection, which drops the run's schema, and says so when it could not:
// a failed run's error names the schema left behind after saying what was published; a run that
// succeeded warns (its version is published; the schema is only litter, which the next run drops).
func closeRun(db *postgres.DB, res *Result, err error) error {
	cerr := db.Close()
	if err != nil {
		err = postgresFailure(err)
	}
	var left *postgres.LeftBehindError
	if !errors.As(cerr, &left) {
		return err
	}
	if err == nil {
		res.Warnings = append(res.Warnings, left.Error())
		return nil
	}
	var f *Failure
	if errors.As(err, &f) && f == err {
		g := *f
		g.Msg += "; " + left.Error()
		return &g
	}
	return fmt.Errorf("%w; %s", err, left.Error())
}

// lostCommit answers, when publishing lost the store's connection at its COMMIT, the question the server
// could not: it reads the store's run history from a new connection. The version is there (the server
// committed before the connection went): the run succeeded, and warns of the lost connection. It is not:
// nothing was published, now known. The store cannot be read either: the error says how to look.
func (e *execution) lostCommit(ctx context.Context, schema string, err error) error {
	var unknown *store.CommitUnknownError
	if !errors.As(err, &unknown) {
		return err
	}
	st, oerr := store.OpenPostgres(ctx, os.Getenv(e.s.PostgresDSNEnv()), schema, store.ReadOnly, 0)
	committed := false
	if oerr == nil {
		committed, oerr = store.Committed(ctx, st, unknown)
		st.Close()
	}
	switch {
	case oerr != nil:
		return fmt.Errorf("%w; the store could not be read to tell (%v): segrun runs --store %s says whether version %d is there", err, oerr, e.res.Store, unknown.Run)
	case committed:
		e.warn("%v; it had: version %d is in the store", err, unknown.Run)
		e.res.Outcome, e.res.RunID = OutcomePublished, unknown.Run
		return nil
	}
	return fmt.Errorf("%w; it had not (the store has no version %d): %s", err, unknown.Run, nothingPublished)
}
