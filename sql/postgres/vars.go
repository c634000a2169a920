package postgres

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/sql"
)

// VarsTable is the one-row table in the run's schema holding the run's vars, one typed column each
// (as_of among them). Feature SQL reads a var as a scalar subquery, (SELECT as_of FROM segrun_vars),
// which the planner runs once as an InitPlan and postgres_fdw ships to shard servers as a parameter: a
// filter on it is pushed down, where one on current_setting() (not shippable) would pull every row to
// the coordinator. Vars are written as bound parameters, never pasted into SQL.
const VarsTable = "segrun_vars"

// SetVariable sets var name, of DuckDB type duckType (BOOLEAN, BIGINT, DOUBLE, DATE, VARCHAR,
// DECIMAL(p,s)...), to value: the column name of segrun_vars, added (or retyped) as the PostgreSQL type,
// holds it. value is bound, and cast to the type by the server.
func (d *DB) SetVariable(ctx context.Context, name, duckType string, value any) error {
	pg, err := PGType(duckType)
	if err != nil {
		return fmt.Errorf("var %s: %w", name, err)
	}
	col := sql.Ident(name)
	if have, ok := d.vars[name]; !ok || have != pg {
		alter := "ALTER TABLE " + VarsTable + " ADD COLUMN " + col + " " + pg
		if ok {
			alter = "ALTER TABLE " + VarsTable + " DROP COLUMN " + col + ", ADD COLUMN " + col + " " + pg
		}
		if err := d.Exec(ctx, alter); err != nil {
			return fmt.Errorf("var %s: %w", name, err)
		}
		d.vars[name] = pg
	}
	if err := d.Exec(ctx, "UPDATE "+VarsTable+" SET "+col+" = CAST($1 AS "+pg+")", value); err != nil {
		return fmt.Errorf("var %s = %v: %w", name, value, err)
	}
	return nil
}

// VarSQL is how SQL reads var name on this engine: a scalar subquery over segrun_vars (see VarsTable),
// the counterpart of DuckDB's getvariable('name').
func VarSQL(name string) string {
	return "(SELECT " + sql.Ident(name) + " FROM " + VarsTable + ")"
}
