package pgfail

import (
	"testing"

	"github.com/segrun/segrun/cli"
)

// A role that lacks a grant the engine needs is the deployment's problem, not the spec's: exit 3, naming
// what is missing and the statement that grants it, and the store untouched. Without SELECT on a source
// table validation already says so (PREPARE, which types features, does not check privileges; EXPLAIN
// does); without CREATE on the database the run schema cannot be made; without rights on the store's
// schema nothing can be published.
func TestMissingGrants(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_grants")
	before := snapshot(t, conn, "fail_grants")
	spec := goodSpec(t)
	for _, tc := range []struct {
		name, role      string
		validateCode    int
		validate, wants []string
	}{
		{"no SELECT on the source table", "pgfail_noselect", cli.ExitEnvironment,
			[]string{"source orders: table pgfail_sales.orders", "permission denied", `GRANT SELECT ON pgfail_sales.orders TO "pgfail_noselect"`},
			[]string{"source orders: table pgfail_sales.orders", "permission denied", `GRANT SELECT ON pgfail_sales.orders TO "pgfail_noselect"`}},
		{"no CREATE on the database (no run schema)", "pgfail_nocreate", cli.ExitEnvironment,
			[]string{"creating the run schema", "permission denied for database " + database, `GRANT CREATE ON DATABASE "` + database + `" TO "pgfail_nocreate"`},
			[]string{"creating the run schema", "permission denied for database " + database, `GRANT CREATE ON DATABASE "` + database + `" TO "pgfail_nocreate"`}},
		{"no rights on the store's schema", "pgfail_nostore", cli.ExitOK,
			[]string{"spec valid"},
			[]string{"store postgres:fail_grants: permission denied for schema fail_grants: it belongs to role " + superuser + ", and role pgfail_nostore is not a member of it", "GRANT " + superuser + " TO pgfail_nostore"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := segrun(t, asUser(t, tc.role), "validate", spec)
			expect(t, "validate", code, stdout, stderr, tc.validateCode, tc.validate...)
			stdout, stderr, code = segrun(t, asUser(t, tc.role), "run", "--as-of", "2026-03-31", "--store", store, spec)
			expect(t, "run", code, stdout, stderr, cli.ExitEnvironment, append(tc.wants, "nothing was published")...)
		})
	}
	// Reading the store needs USAGE on its schema and SELECT on its tables: a role without says which
	// GRANTs, for every reader.
	t.Setenv("SEGRUN_PG_DSN", asUser(t, "pgfail_nocreate"))
	stdout, stderr, code := runCLI("runs", "--store", store)
	expect(t, "runs", code, stdout, stderr, cli.ExitEnvironment, "store postgres:fail_grants: permission denied: role pgfail_nocreate cannot read schema fail_grants",
		`GRANT USAGE ON SCHEMA "fail_grants" TO "pgfail_nocreate"; GRANT SELECT ON ALL TABLES IN SCHEMA "fail_grants" TO "pgfail_nocreate"`)
	sameStore(t, conn, "fail_grants", before)
	noRunSchemaLeft(t, conn)
}
