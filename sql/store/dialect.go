package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/segrun/segrun/sql"
)

// The store is one implementation on two databases: a DuckDB file attached to the workspace, or a schema
// of a PostgreSQL database (postgres.go). Its statements are written once, in the SQL both speak (BIGINT,
// VARCHAR, DOUBLE PRECISION, JSON, CREATE TABLE IF NOT EXISTS, INSERT ... ON CONFLICT, UPDATE ... FROM,
// a named subquery, GROUP BY by position), naming the store's tables as segrun_store.<table> and their
// parameters as ?. The few places where the two differ go through dialect: where the store's tables
// are (the catalog segrun_store or a schema), placeholders, replacing a relation, making the store the
// default while views are bound, a date as text, and the memberships_as_of macro (a table function on
// PostgreSQL). Adding a table is one statement in storeDDL, for both.

// dialect is what differs between the store's databases.
type dialect struct {
	// schema is the PostgreSQL schema holding the store; "" for DuckDB, whose store is the catalog
	// segrun_store.
	schema string
}

func (d dialect) postgres() bool { return d.schema != "" }

// qualifier is how the store's tables are named in statements: segrun_store.memberships on DuckDB,
// "schema".memberships on PostgreSQL.
func (d dialect) qualifier() string {
	if d.postgres() {
		return sql.Ident(d.schema)
	}
	return Catalog
}

// rewrite turns a statement as the store writes it into the database's: on PostgreSQL, segrun_store.
// becomes the schema and each ? its $n. Quoted text ('...', "...") is left as it is. On DuckDB the
// statement is the store's own.
func (d dialect) rewrite(q string) string {
	if !d.postgres() {
		return q
	}
	var b strings.Builder
	prefix := Catalog + "."
	n := 0
	for i := 0; i < len(q); {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // a doubled quote inside the text
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(q))
			b.WriteString(q[i:end])
			i = end
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			i++
		case strings.HasPrefix(q[i:], prefix) && (i == 0 || !isIdentByte(q[i-1])):
			b.WriteString(d.qualifier() + ".")
			i += len(prefix)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// replace is the statement replacing a workspace relation of kind (TABLE or VIEW) with query's rows:
// DuckDB's CREATE OR REPLACE, which PostgreSQL has for views of the same columns only.
func (d dialect) replace(kind, name, query string) []string {
	if d.postgres() {
		create := kind
		if kind == "TABLE" {
			// The stage is the workspace's, dropped after publishing: it needs no WAL (docs/development.md
			// has the engine's workspace tables UNLOGGED too).
			create = "UNLOGGED TABLE"
		}
		return []string{"DROP " + kind + " IF EXISTS " + name, "CREATE " + create + " " + name + " AS " + query}
	}
	return []string{"CREATE OR REPLACE " + kind + " " + name + " AS " + query}
}

// dateText is the SQL expression writing a DATE column as YYYY-MM-DD.
func (d dialect) dateText(col string) string {
	if d.postgres() {
		return "to_char(" + col + ", 'YYYY-MM-DD')"
	}
	return "strftime(" + col + ", '%Y-%m-%d')"
}

// membershipsAsOf is the statement creating the memberships_as_of table function: DuckDB's table macro
// (bound in its caller's catalog, see membershipViews), or a SQL function on PostgreSQL, whose body names
// the schema so that it reads the store from any search_path.
func (d dialect) membershipsAsOf() string {
	if d.postgres() {
		return `CREATE OR REPLACE FUNCTION segrun_store.memberships_as_of(run BIGINT)
		RETURNS TABLE (entity ENTITY_TYPE, segmentation VARCHAR, segment VARCHAR) LANGUAGE sql STABLE AS $$
		SELECT m.entity, m.segmentation, m.segment FROM segrun_store.memberships m
		WHERE m.valid_from_run <= run AND (m.valid_to_run IS NULL OR m.valid_to_run > run) $$`
	}
	return membershipsAsOfMacro
}

// withStoreDefault runs fn with the store as where unqualified names are looked up, so that the views'
// bodies name its tables without a catalog or schema: DuckDB's USE, PostgreSQL's search_path. The
// workspace's default is set back after.
func (d dialect) withStoreDefault(ctx context.Context, db conn, fn func() error) (err error) {
	get, set := "SELECT current_database()", func(name string) string { return "USE " + sql.Ident(name) }
	store := Catalog
	if d.postgres() {
		get, set = "SELECT current_setting('search_path')", func(path string) string {
			return "SELECT set_config('search_path', " + sql.Literal(path) + ", false)"
		}
		store = sql.Ident(d.schema)
	}
	var old string
	if err := db.QueryRow(ctx, get).Scan(&old); err != nil {
		return err
	}
	if err := db.Exec(ctx, set(store)); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Exec(context.WithoutCancel(ctx), set(old))) }()
	return fn()
}

// conn is the store's way into its database: a DuckDB workspace (the store attached to it), or a
// PostgreSQL connection (postgres.go). Statements are rewritten for the database by dialectConn.
type conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	QueryRow(ctx context.Context, query string, args ...any) row
	Query(ctx context.Context, query string, args ...any) (rows, error)
}

// row and rows are what the store reads results through: database/sql's, or pgx's (postgres.go).
type row interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// workspaceConn is a DuckDB workspace as the store's conn.
type workspaceConn struct{ w sql.Workspace }

func (c workspaceConn) Exec(ctx context.Context, q string, args ...any) error {
	return c.w.Exec(ctx, q, args...)
}
func (c workspaceConn) QueryRow(ctx context.Context, q string, args ...any) row {
	return c.w.QueryRow(ctx, q, args...)
}
func (c workspaceConn) Query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := c.w.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// dialectConn rewrites every statement for its dialect on the way to the database.
type dialectConn struct {
	db conn
	d  dialect
}

func (c dialectConn) Exec(ctx context.Context, q string, args ...any) error {
	return c.db.Exec(ctx, c.d.rewrite(q), args...)
}
func (c dialectConn) QueryRow(ctx context.Context, q string, args ...any) row {
	return c.db.QueryRow(ctx, c.d.rewrite(q), args...)
}
func (c dialectConn) Query(ctx context.Context, q string, args ...any) (rows, error) {
	return c.db.Query(ctx, c.d.rewrite(q), args...)
}
