package sql

import (
	"context"
	stdsql "database/sql"
	"strings"
)

// Column is a named, typed column of a table or query result.
type Column struct {
	Name string `json:"name"`
	// Type is DuckDB's type name: BIGINT, DOUBLE, VARCHAR, DECIMAL(18,2), TIMESTAMP...
	Type string `json:"type"`
}

// Describe returns the columns a query would produce, by binding it: no rows are read.
func (d *DB) Describe(ctx context.Context, query string) ([]Column, error) {
	const describe = "DESCRIBE "
	rows, err := d.conn.QueryContext(ctx, describe+query)
	if err != nil {
		// DuckDB locates the error in the statement it ran, which starts with DESCRIBE.
		e := ParseError(err, describe+query)
		if e.Line == 1 {
			e.Column = max(1, e.Column-len(describe))
		}
		return nil, e
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var name, typ string
		var null, key, def, extra any
		if err := rows.Scan(&name, &typ, &null, &key, &def, &extra); err != nil {
			return nil, err
		}
		cols = append(cols, Column{Name: name, Type: typ})
	}
	if err := rows.Err(); err != nil {
		return nil, ParseError(err, query)
	}
	return cols, nil
}

// CreateEmpty creates an empty table with the given columns, standing in for data not read yet, so that
// queries over it can be bound and their output types derived.
func (d *DB) CreateEmpty(ctx context.Context, table string, cols []Column) error {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = Ident(c.Name) + " " + c.Type
	}
	return d.Exec(ctx, "CREATE OR REPLACE TABLE "+Ident(table)+" ("+strings.Join(defs, ", ")+")")
}

// Keywords returns DuckDB's reserved keywords, which cannot name tables unquoted.
func (d *DB) Keywords(ctx context.Context) (map[string]bool, error) {
	rows, err := d.conn.QueryContext(ctx, "SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'")
	if err != nil {
		return nil, err
	}
	return KeywordSet(rows)
}

// KeywordSet reads a query's one column of keywords into a set, lower-cased: each engine lists its own
// reserved words, and this is how they come back.
func KeywordSet(rows *stdsql.Rows) (map[string]bool, error) {
	defer rows.Close()
	kw := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		kw[strings.ToLower(k)] = true
	}
	return kw, rows.Err()
}
