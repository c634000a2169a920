package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/sql"
)

// Describe returns the columns query would produce, by preparing it (the server parses, binds and plans
// it; no row is read) and reading the statement's description. Types come by DuckDB's names (DuckName)
// so the rest of segrun reads them as it does DuckDB's; a type with no such name (an array, an enum)
// comes by PostgreSQL's own (format_type). An error is located in query at line:column.
func (d *DB) Describe(ctx context.Context, query string) ([]sql.Column, error) {
	var cols []sql.Column
	var unnamed []int
	var oids []uint32
	var mods []int32
	err := d.raw(func(c *pgx.Conn) error {
		sd, err := c.Prepare(ctx, "", query)
		if err != nil {
			return mapError(err, query)
		}
		for _, f := range sd.Fields {
			name, ok := DuckName(f.DataTypeOID, f.TypeModifier)
			if !ok {
				unnamed = append(unnamed, len(cols))
				oids, mods = append(oids, f.DataTypeOID), append(mods, f.TypeModifier)
			}
			cols = append(cols, sql.Column{Name: f.Name, Type: name})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, at := range unnamed {
		var name string
		if err := d.conn.QueryRowContext(ctx, "SELECT upper(format_type($1, $2))", oids[i], mods[i]).Scan(&name); err != nil {
			return nil, mapError(err, "")
		}
		cols[at].Type = name
	}
	return cols, nil
}

// Keywords returns PostgreSQL's reserved keywords (pg_get_keywords, category R), which cannot name
// tables unquoted.
func (d *DB) Keywords(ctx context.Context) (map[string]bool, error) {
	rows, err := d.Query(ctx, "SELECT word FROM pg_get_keywords() WHERE catcode = 'R'")
	if err != nil {
		return nil, err
	}
	kw, err := sql.KeywordSet(rows)
	return kw, mapError(err, "")
}

// CreateEmpty creates an empty table with the given columns (typed by DuckDB's names, PGType, or by
// PostgreSQL's own for the types DuckName has no name for), standing
// in for data not read yet so that queries over it can be described.
func (d *DB) CreateEmpty(ctx context.Context, table string, cols []sql.Column) error {
	defs := make([]string, len(cols))
	for i, c := range cols {
		pg, err := PGType(c.Type)
		if err != nil {
			// A type Describe named by PostgreSQL's own name (TEXT[], an enum): the server reads it.
			pg = strings.ToLower(c.Type)
		}
		defs[i] = sql.Ident(c.Name) + " " + pg
	}
	if err := d.DropTable(ctx, table); err != nil {
		return err
	}
	return d.Exec(ctx, "CREATE UNLOGGED TABLE "+d.own(table)+" ("+strings.Join(defs, ", ")+")")
}
