package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/segrun/segrun/sql"
)

// checkPublisher refuses, before anything is written, a store schema the connected role cannot publish
// into: publishing writes the store's tables and replaces its views (CREATE OR REPLACE VIEW), which only
// their owner, or a member of the owner's role, may do. PostgreSQL would say "permission denied for schema"
// at the first statement; this says which role owns it and what to change. A schema that does not exist
// yet passes: the run creates it, and owns it.
func (s *Store) checkPublisher(ctx context.Context) error {
	var owner, role string
	var member bool
	err := s.db.QueryRow(ctx, `SELECT pg_catalog.pg_get_userbyid(n.nspowner)::text, pg_catalog.pg_has_role(n.nspowner, 'USAGE'), current_user::text
		FROM pg_catalog.pg_namespace n WHERE n.nspname = ?`, s.d.schema).Scan(&owner, &member, &role)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("store %s: %s", s.Path, pgMessage(err))
	case member:
		return nil
	}
	return fmt.Errorf("store %s: permission denied for schema %s: it belongs to role %s, and role %s is not a member of it (publishing writes the store's tables and replaces its views, which only their owner may do); connect as %s, or GRANT %s TO %s",
		s.Path, s.d.schema, owner, role, owner, owner, role)
}

// createSchemaGrant is the advice for a role that may not create the store's schema (SQLSTATE 42501):
// the GRANT that lets it, with the role's and the database's names.
func (s *Store) createSchemaGrant(ctx context.Context, err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		return ""
	}
	var role, database string
	if err := s.db.QueryRow(ctx, "SELECT current_user::text, current_database()::text").Scan(&role, &database); err != nil {
		return ""
	}
	return fmt.Sprintf("; the role needs CREATE on the database (GRANT CREATE ON DATABASE %s TO %s), or the schema made for it", sql.Ident(database), sql.Ident(role))
}

// checkReader refuses, with the GRANTs to run, a store schema the connected role cannot read: the
// readers (runs, show, changes, export...) need USAGE on the schema and SELECT on its tables and views.
// PostgreSQL would say "permission denied for schema" at the first read.
func (s *Store) checkReader(ctx context.Context) error {
	var role string
	var usage, tables bool
	err := s.db.QueryRow(ctx, `SELECT current_user::text, pg_catalog.has_schema_privilege(?, 'USAGE'),
		coalesce(bool_and(pg_catalog.has_table_privilege(c.oid, 'SELECT')), true)
		FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = ? AND c.relkind IN ('r', 'v')`, s.d.schema, s.d.schema).Scan(&role, &usage, &tables)
	switch {
	case err != nil:
		return fmt.Errorf("store %s: %s", s.Path, pgMessage(err))
	case usage && tables:
		return nil
	}
	schema := sql.Ident(s.d.schema)
	return fmt.Errorf("store %s: permission denied: role %s cannot read schema %s; GRANT USAGE ON SCHEMA %s TO %s; GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s (tables and views; again after a run adds one)",
		s.Path, role, s.d.schema, schema, sql.Ident(role), schema, sql.Ident(role))
}
