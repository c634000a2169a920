package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/segrun/segrun/sql"
)

// withGrant adds to a permission error (SQLSTATE 42501) the statement that grants what the role lacks,
// written by grant from the role's and the database's names (quoted as identifiers), so that the message
// says what the deployment must change, not only what was refused. Any other error passes unchanged.
func (d *DB) withGrant(ctx context.Context, err error, grant func(role, database string) string) error {
	var se *sql.Error
	if !errors.As(err, &se) || !isPermission(se) {
		return err
	}
	var role, database string
	if qerr := d.conn.QueryRowContext(ctx, "SELECT current_user, current_database()").Scan(&role, &database); qerr != nil {
		return err
	}
	se.Msg += "; the role needs: " + grant(sql.Ident(role), sql.Ident(database))
	return err
}

// isPermission says whether a mapped error is PostgreSQL's "permission denied" (42501).
func isPermission(se *sql.Error) bool {
	return se.Kind == "Permission"
}

// CheckReadable checks the role may read table (schema-qualified and quoted as PostgreSQL reads it; as
// written in the spec in shown), which PREPARE, and so Describe, does not: privileges are checked when a
// statement starts executing. EXPLAIN starts the executor without running it, so it checks them and reads
// no row. A missing grant is an error of class EnvironmentError naming the GRANT to run.
func (d *DB) CheckReadable(ctx context.Context, table, shown string) error {
	err := d.Exec(ctx, "EXPLAIN SELECT * FROM "+table)
	return d.withGrant(ctx, err, func(role, _ string) string {
		return fmt.Sprintf("GRANT SELECT ON %s TO %s", shown, role)
	})
}
