package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// Exporting from a store on PostgreSQL: the file is written as from a DuckDB store, by DuckDB's COPY, from
// the same query (runner.Export wraps it in DuckDB's SQL to hash a personal entity column). What the
// query reads, the version's memberships of one segmentation or its change log, is first pulled from
// PostgreSQL with binary COPY as Arrow record batches (postgres.PullArrowConn) into an in-memory DuckDB
// database whose catalog segrun_store has it under the same name: the query then runs there unchanged.
// The rows cross as PostgreSQL's binary format and Arrow, never scanned one by one or rendered as text.

// pullForExport loads into s.local what ExportQuery's query reads of version run's segmentation.
func (s *Store) pullForExport(ctx context.Context, segmentation string, run int64, changes bool, entityType string) error {
	pc, ok := s.raw.(pgConn)
	if !ok {
		return fmt.Errorf("store %s: exporting needs its own PostgreSQL connection", s.Path)
	}
	if s.local == nil {
		local, err := sql.Open(ctx, "", sql.Options{Threads: 1})
		if err != nil {
			return err
		}
		if err := local.Exec(ctx, "ATTACH ':memory:' AS "+Catalog); err != nil {
			local.Close()
			return err
		}
		s.local = local
	}
	name, query, columns := "memberships", fmt.Sprintf(`SELECT entity, segmentation, segment, valid_from_run, valid_to_run
		FROM segrun_store.memberships WHERE segmentation = %s AND valid_from_run <= %d AND (valid_to_run IS NULL OR valid_to_run > %d)`,
		sql.Literal(segmentation), run, run),
		[][2]string{{"entity", entityType}, {"segmentation", "VARCHAR"}, {"segment", "VARCHAR"}, {"valid_from_run", "BIGINT"}, {"valid_to_run", "BIGINT"}}
	if changes {
		name, query = "changes", fmt.Sprintf(`SELECT run_id, segmentation, entity, segment, event FROM segrun_store.changes
			WHERE run_id = %d AND segmentation = %s`, run, sql.Literal(segmentation))
		columns = [][2]string{{"run_id", "BIGINT"}, {"segmentation", "VARCHAR"}, {"entity", entityType}, {"segment", "VARCHAR"}, {"event", "VARCHAR"}}
	}
	rr, err := postgres.PullArrowConn(ctx, pc.c, s.d.rewrite(query))
	if err != nil {
		return fmt.Errorf("reading version %d of %s from %s: %w", run, segmentation, s.Path, err)
	}
	defer rr.Release()
	// Typed as the DuckDB store keeps them (the entity as the pipeline typed it); every column is read,
	// as an Arrow view must be (sql.Arrow.CreateTable).
	sel := make([]string, len(columns))
	for i, c := range columns {
		sel[i] = sql.Ident(c[0])
		if c[1] != "" { // "": a destination's rows, which keep the type the store has (ordered by it)
			sel[i] = fmt.Sprintf("CAST(%s AS %s) AS %s", sql.Ident(c[0]), c[1], sql.Ident(c[0]))
		}
	}
	if err := s.local.Exec(ctx, "USE "+Catalog); err != nil {
		return err
	}
	defer s.local.Exec(context.WithoutCancel(ctx), "USE memory")
	return s.local.WithArrow(ctx, func(a *sql.Arrow) error {
		return a.CreateTable(name, rr, strings.Join(sel, ", "), "")
	})
}

// CopyArrowTo writes the rows of r to a file at path, in format csv, parquet or json (lines), as CopyTo
// writes a query's, through local, an in-memory DuckDB database: how a run on engine postgres writes a
// destination's file from the rows it pulled.
func CopyArrowTo(ctx context.Context, local sql.Workspace, r array.RecordReader, path, format string) error {
	return local.WithArrow(ctx, func(a *sql.Arrow) error {
		if err := a.CreateTable("segrun_file", r, "*", ""); err != nil {
			return err
		}
		return a.Exec(copyStatement("SELECT * FROM segrun_file", path, format))
	})
}

// QueryWorkspace is where the query ExportQuery returned runs: db, the workspace a DuckDB store is attached
// to, or for a store on PostgreSQL the in-memory DuckDB database ExportQuery pulled the version's rows
// into.
func (s *Store) QueryWorkspace(db sql.Workspace) sql.Workspace {
	if s.d.postgres() && s.local != nil {
		return s.local
	}
	return db
}
