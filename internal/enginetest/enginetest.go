// Package enginetest runs the same SQL on both engines segrun generates portable SQL for: an in-process
// DuckDB (segrun's sql package) and a real PostgreSQL (internal/pgtest), so a differential test can load
// one table into each, run one statement on each and compare both answers with what the Go code computes.
// It is for tests only.
package enginetest

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
)

// Engine is one database a test runs statements on.
type Engine struct {
	Name  string
	exec  func(q string) error
	query func(q string) ([][]any, error)
}

// Exec runs a statement, failing the test on an error.
func (e *Engine) Exec(t testing.TB, q string) {
	t.Helper()
	if err := e.exec(q); err != nil {
		t.Fatalf("%s: %v\n%s", e.Name, err, q)
	}
}

// Query runs a query and returns its rows, each value as int64, float64, string, bool or nil.
func (e *Engine) Query(t testing.TB, q string) [][]any {
	t.Helper()
	rows, err := e.query(q)
	if err != nil {
		t.Fatalf("%s: %v\n%s", e.Name, err, q)
	}
	return rows
}

// Load creates table with cols, each "name TYPE" in SQL both engines accept (BIGINT, DOUBLE PRECISION,
// VARCHAR, BOOLEAN, DECIMAL(p,s)...), and inserts rows (Go values: nil, int, int64, float64, string, bool),
// each written as a literal that reads back as exactly that value (floats in their shortest round-trip
// form, cast from text so neither engine reads them as decimals).
func (e *Engine) Load(t testing.TB, table string, cols []string, rows [][]any) {
	t.Helper()
	defs := make([]string, len(cols))
	types := make([]string, len(cols))
	for i, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		defs[i], types[i] = sql.Ident(name)+" "+typ, typ
	}
	e.Exec(t, fmt.Sprintf("CREATE TABLE %s (%s)", sql.Ident(table), strings.Join(defs, ", ")))
	const batch = 500
	for lo := 0; lo < len(rows); lo += batch {
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s VALUES ", sql.Ident(table))
		for i, r := range rows[lo:min(lo+batch, len(rows))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(literal(v, types[j]))
			}
			b.WriteString(")")
		}
		e.Exec(t, b.String())
	}
}

func literal(v any, typ string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		switch {
		case math.IsNaN(x):
			s = "NaN"
		case math.IsInf(x, 1):
			s = "Infinity"
		case math.IsInf(x, -1):
			s = "-Infinity"
		}
		return fmt.Sprintf("CAST(CAST('%s' AS DOUBLE PRECISION) AS %s)", s, typ)
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

// Both returns a DuckDB engine and a PostgreSQL one (a throwaway server, or SEGRUN_PG_DSN's, in a fresh
// schema), closed when the test ends. Without PostgreSQL's binaries it returns DuckDB alone, except under
// CI=true, where pgtest fails the test.
func Both(t *testing.T) []*Engine {
	t.Helper()
	return []*Engine{DuckDB(t), Postgres(t)}
}

// DuckDB is an in-memory DuckDB database.
func DuckDB(t *testing.T) *Engine {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Engine{
		Name: "duckdb",
		exec: func(q string) error { return db.Exec(ctx, q) },
		query: func(q string) ([][]any, error) {
			rows, err := db.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			return scanAll(rows)
		},
	}
}

func scanAll(rows *stdsql.Rows) ([][]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalise(v)
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// server is the package's one PostgreSQL server, started by the first test that asks for one and stopped
// by Main: starting one per test would cost an initdb and a start each.
var server struct {
	sync.Mutex
	s   *pgtest.Server
	err error
}

// Main runs a package's tests and then stops the server they shared; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	server.Lock()
	if server.s != nil {
		server.s.Stop()
	}
	server.Unlock()
	os.Exit(code)
}

// Postgres is a PostgreSQL database: the test's own schema, dropped at its end, on the package's server
// (SEGRUN_PG_DSN's, or one started for the package, which Main stops). Without PostgreSQL's binaries the
// test is skipped, or fails under CI=true, as with pgtest.New.
func Postgres(t *testing.T) *Engine {
	t.Helper()
	server.Lock()
	if server.s == nil && server.err == nil {
		server.s, server.err = pgtest.Start()
	}
	srv, err := server.s, server.err
	server.Unlock()
	if err != nil {
		if pgtest.IsMissing(err) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v (set %s to test against a server of your own)", err, pgtest.EnvDSN)
		}
		t.Fatalf("pgtest: %v", err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	schema := "enginetest_" + strings.Map(func(r rune) rune { // one per test, as the server is shared
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	for _, q := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema, "SET search_path TO " + schema} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	return &Engine{
		Name: "postgres",
		exec: func(q string) error { _, err := conn.Exec(ctx, q); return err },
		query: func(q string) ([][]any, error) {
			rows, err := conn.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out [][]any
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					return nil, err
				}
				for i, v := range vals {
					vals[i] = normalise(v)
				}
				out = append(out, vals)
			}
			return out, rows.Err()
		},
	}
}

// normalise gives a scanned value one Go type per kind, whichever engine and driver read it.
func normalise(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	}
	return v
}
