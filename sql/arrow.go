package sql

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// Arrow is bulk access to a DB's connection: queries that return Arrow record batches, and Arrow data
// registered as views DuckDB can read. It is only valid inside DB.WithArrow.
type Arrow struct {
	db   *DB
	ctx  context.Context
	a    *duckdb.Arrow
	conn driver.Conn
}

// WithArrow runs fn with Arrow access to the pinned connection. Ordinary statements run through Arrow.Exec
// meanwhile, because the connection is held for the duration.
func (d *DB) WithArrow(ctx context.Context, fn func(a *Arrow) error) error {
	return d.conn.Raw(func(dc any) error {
		conn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("unexpected driver connection %T", dc)
		}
		a, err := duckdb.NewArrowFromConn(conn)
		if err != nil {
			return err
		}
		return fn(&Arrow{db: d, ctx: ctx, a: a, conn: conn})
	})
}

// Query runs a query and returns its rows as Arrow record batches. The caller releases the reader.
func (a *Arrow) Query(query string, args ...any) (array.RecordReader, error) {
	var r array.RecordReader
	err := a.db.logged(query, func() error {
		var err error
		r, err = a.a.QueryContext(a.ctx, query, args...)
		return err
	})
	if err != nil {
		return nil, ParseError(err, query)
	}
	return r, nil
}

// Exec runs a statement that returns no rows.
func (a *Arrow) Exec(query string) error {
	ex, ok := a.conn.(driver.ExecerContext)
	if !ok {
		return fmt.Errorf("driver connection cannot execute statements")
	}
	return a.db.logged(query, func() error {
		if _, err := ex.ExecContext(a.ctx, query, nil); err != nil {
			return ParseError(err, query)
		}
		return nil
	})
}

// CreateTable materialises the batches of r as table name: DuckDB reads them through an Arrow view, with
// no row-by-row conversion. select is the column list read from the view ("*" for all), so a caller can
// filter or cast on the way in.
func (a *Arrow) CreateTable(name string, r array.RecordReader, selectList, where string) error {
	view := "segrun_arrow_" + name
	release, err := a.a.RegisterView(r, view)
	if err != nil {
		return fmt.Errorf("registering Arrow data for %s: %w", name, err)
	}
	defer release()
	q := fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s FROM %s", Ident(name), selectList, Ident(view))
	if where != "" {
		q += " WHERE " + where
	}
	err = withDisabledOptimizers(a.Exec, arrowScanUnsafe, func() error { return a.Exec(q) })
	if err != nil {
		return err
	}
	return a.Exec("DROP VIEW IF EXISTS " + Ident(view))
}

// arrowScanUnsafe are the optimizers that break a statement reading an Arrow view. The view's scan (the C
// API's arrow_scan, which RegisterView uses) takes the filters and the column list DuckDB pushes into it
// and hands them to the stream, which ignores both (duckdb-go issue 24): a pushed filter is dropped, so
// every row comes through, and when a statement reads only some of the view's columns DuckDB takes the
// stream's first columns for them, so values land in the wrong columns, or DuckDB crashes.
// TestArrowViewScans fails if this is ever fixed.
const arrowScanUnsafe = "filter_pushdown,unused_columns"

// WithoutFilterPushdown runs fn with DuckDB's filter pushdown optimizer off, for statements that read an
// Arrow view whose every column they use (arrowScanUnsafe): the filter stays an operator of its own above
// the scan.
func (d *DB) WithoutFilterPushdown(ctx context.Context, fn func() error) error {
	return withDisabledOptimizers(func(q string) error { return d.Exec(context.WithoutCancel(ctx), q) }, "filter_pushdown", fn)
}

func withDisabledOptimizers(exec func(string) error, optimizers string, fn func() error) error {
	if err := exec("SET disabled_optimizers = " + Literal(optimizers)); err != nil {
		return err
	}
	ferr := fn()
	if err := exec("RESET disabled_optimizers"); err != nil && ferr == nil {
		return err
	}
	return ferr
}

// RegisterView makes the batches of r readable as the view name until release is called. DuckDB reads the
// batches once: a statement that scans the view twice sees nothing the second time. A statement reading
// the view must use every one of its columns, with filter pushdown off (arrowScanUnsafe).
func (a *Arrow) RegisterView(r array.RecordReader, name string) (release func(), err error) {
	return a.a.RegisterView(r, name)
}
