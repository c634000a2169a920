package store

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/segrun/segrun/sql"
)

// Exporting from a store on PostgreSQL: the file is written as from a DuckDB store, by DuckDB's COPY, from
// the same query (runner.Export wraps it in DuckDB's SQL to hash a personal entity column). What the
// query reads, the version's memberships of one segmentation or its change log, is first pulled from
// PostgreSQL with COPY ... TO STDOUT into a CSV file and loaded into an in-memory DuckDB database whose
// catalog segrun_store has it under the same name: the query then runs there unchanged. The rows cross
// as PostgreSQL's and DuckDB's bulk formats, never scanned one by one in Go.

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
	f, err := os.CreateTemp("", "segrun-export-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = pc.c.PgConn().CopyTo(ctx, f, "COPY ("+s.d.rewrite(query)+") TO STDOUT (FORMAT csv, HEADER)")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("reading version %d of %s from %s: %s", run, segmentation, s.Path, pgMessage(err))
	}
	types := make([]string, len(columns))
	for i, c := range columns {
		types[i] = sql.Literal(c[0]) + ": " + sql.Literal(c[1])
	}
	// PostgreSQL's CSV writes NULL unquoted and empty, an empty text quoted ("").
	return s.local.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE TABLE %s.%s AS SELECT * FROM read_csv(%s, header = true, allow_quoted_nulls = false, columns = {%s})`,
		Catalog, name, sql.Literal(f.Name()), strings.Join(types, ", ")))
}
