package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// typeOutcomes checks each outcome's columns against its source's, derived without data (the declared
// columns stand in with --no-data): the entity column, a DATE or TIMESTAMP time column, and a numeric
// revenue column. segrun measure reads them (measure.go).
func (c *validator) typeOutcomes() {
	for _, e := range c.s.Outcomes {
		base := spec.Pointer("outcomes", e.Key)
		o := e.Value
		cols, known := c.v.Columns[o.From]
		if c.s.BrokenWithin(base) || !known || c.s.StepKind(o.From) != KindSource {
			continue
		}
		find := func(at, col, what string) (sql.Column, bool) {
			i := slices.IndexFunc(cols, func(x sql.Column) bool { return x.Name == col })
			if i < 0 {
				names := methods.ColumnNames(cols)
				sugg := spec.Nearest(col, names)
				hint := fmt.Sprintf("; did you mean %q?", sugg)
				if sugg == "" {
					hint = " (it has " + strings.Join(names, ", ") + ")"
				}
				c.errorAt(at, "outcome.column", fmt.Sprintf("%s %q is not a column of %s%s", what, col, o.From, hint), sugg)
				return sql.Column{}, false
			}
			return cols[i], true
		}
		if _, ok := find(base+"/from", c.s.Entity, "the entity column"); !ok {
			continue
		}
		if t, ok := find(base+"/time", o.Time, "time column"); ok && !isTemporal(t.Type) {
			c.errorAt(base+"/time", "outcome.type", fmt.Sprintf("time column %q of %s is %s; it must be a DATE or TIMESTAMP (cast it in the source's columns:)", o.Time, o.From, t.Type), "")
		}
		if o.Metric.Revenue != "" {
			if t, ok := find(base+"/metric/revenue", o.Metric.Revenue, "revenue column"); ok && !methods.IsNumeric(t.Type) {
				c.errorAt(base+"/metric/revenue", "outcome.type", fmt.Sprintf("revenue column %q of %s is %s; it must be numeric", o.Metric.Revenue, o.From, t.Type), "")
			}
		}
	}
}

// isTemporal says whether a DuckDB type is a date or a timestamp, which a window of days can bound.
func isTemporal(t string) bool {
	t = strings.ToUpper(t)
	return t == "DATE" || strings.HasPrefix(t, "TIMESTAMP")
}
