package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// checkLoadedTypes fails the load if a declared column did not come out of the reader with its declared
// type. Every later step (the rule kernels above all) trusts the contract; a reader that quietly gives up
// on a type (DuckDB reads a column as VARCHAR when files disagree on their headers, or when an option the
// user set overrides the declared types) must stop the run here, not corrupt it later. relation is the
// loaded table or the streamed view.
func (e *execution) checkLoadedTypes(ctx context.Context, r *sourceRead, relation string, declared spec.Map[spec.ColumnSpec]) error {
	var typed []spec.Entry[spec.ColumnSpec]
	var casts []string
	for _, d := range declared {
		if d.Value.Type != "" {
			typed = append(typed, d)
			casts = append(casts, fmt.Sprintf("CAST(NULL AS %s) AS %s", d.Value.Type, sql.Ident(d.Key)))
		}
	}
	if len(typed) == 0 {
		return nil
	}
	want, err := e.db.Describe(ctx, "SELECT "+strings.Join(casts, ", "))
	if err != nil {
		return fmt.Errorf("%s: resolving the declared types: %w", r.step, err)
	}
	got, err := e.db.Describe(ctx, "SELECT * FROM "+sql.Ident(relation))
	if err != nil {
		return fmt.Errorf("%s: describing what was read: %w", r.step, err)
	}
	f := &Failure{Step: r.step, Msg: "columns were not read as declared"}
	for i, d := range typed {
		j := slices.IndexFunc(got, func(c sql.Column) bool { return c.Name == d.Key })
		switch {
		case j < 0:
			f.Details = append(f.Details, fmt.Sprintf("column %s: not in %s", d.Key, strings.Join(r.files, ", ")))
		case got[j].Type != want[i].Type:
			f.Details = append(f.Details, fmt.Sprintf("column %s: read from %s as %s, but declared %s", d.Key, strings.Join(r.files, ", "), got[j].Type, d.Value.Type))
		}
	}
	if len(f.Details) > 0 {
		hint := "an option that sets types or column names overrides the declared columns: check the source's options"
		if len(r.files) > 1 {
			hint += "; files whose headers disagree are read this way: set union_by_name: true to read each by its header"
		}
		f.Details = append(f.Details, hint)
		return f
	}
	return nil
}
