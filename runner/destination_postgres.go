package runner

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
	"github.com/segrun/segrun/sql/store"
)

// copyToFile writes the rows of query, run in the workspace, to a file at path in format. On DuckDB the
// store's COPY writes it where the rows are. On engine postgres the query (the audience's members joined
// with their staged, already hashed columns, in file order) runs inside the server and its rows cross
// once, as binary COPY decoded into Arrow batches (PullArrow), into an in-memory DuckDB database that
// writes them with the same COPY: a file outside the database is the one place the members of an audience
// must leave it, and they leave as the file's rows, nothing more.
func (e *execution) copyToFile(ctx context.Context, query, path, format string) error {
	pg, ok := e.db.(*postgres.DB)
	if !ok {
		return e.store.CopyTo(ctx, query, path, format)
	}
	rr, err := pg.PullArrow(ctx, query)
	if err != nil {
		return err
	}
	defer rr.Release()
	local, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		return err
	}
	defer local.Close()
	if err := store.CopyArrowTo(ctx, local, rr, path, format); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
