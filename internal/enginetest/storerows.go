package enginetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// The store's memberships of versions 1 and 2 and its change log as sorted text lines, one statement
// both engines run, so that differential tests compare a DuckDB store file with a store in a PostgreSQL
// schema line for line.

// storeRowsSQL is that statement over memberships (the view of a run's memberships) and changes.
func storeRowsSQL(memberships func(run int64) string, changes string) string {
	return fmt.Sprintf(`SELECT 'member ' || CAST(r AS VARCHAR) || ' ' || segmentation || ' ' || CAST(entity AS VARCHAR) || ' ' || segment FROM (
		SELECT 1 AS r, * FROM %s m1 UNION ALL SELECT 2 AS r, * FROM %s m2) m
		UNION ALL
		SELECT 'change ' || CAST(run_id AS VARCHAR) || ' ' || segmentation || ' ' || CAST(entity AS VARCHAR) || ' ' || segment || ' ' || event FROM %s`,
		memberships(1), memberships(2), changes)
}

// DuckStoreRows are the lines of the DuckDB store file at path.
func DuckStoreRows(t testing.TB, path string) []string {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := store.Attach(ctx, db, path, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out, err := DuckLines(ctx, db, storeRowsSQL(st.MembershipsAsOf, st.Table("changes")))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// PGStoreRows are the lines of the store in schema, read over conn.
func PGStoreRows(t testing.TB, conn *pgx.Conn, schema string) []string {
	t.Helper()
	q := storeRowsSQL(func(run int64) string {
		return strings.ReplaceAll(store.MembershipsAsOf(run), store.Catalog+".", pgx.Identifier{schema}.Sanitize()+".")
	}, pgx.Identifier{schema, "changes"}.Sanitize())
	return PGLines(t, conn, q)
}

// PGLines are the one text column of query's rows on conn, sorted.
func PGLines(t testing.TB, conn *pgx.Conn, query string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	slices.Sort(out)
	return out
}

// DuckLines are the one text column of query's rows in db, in the order they came.
func DuckLines(ctx context.Context, db sql.Workspace, query string) ([]string, error) {
	rows, err := db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
