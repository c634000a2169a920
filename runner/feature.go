package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// runFeature materialises a feature's SELECT as a workspace table and runs its tests.
func (e *execution) runFeature(ctx context.Context, name string) (int64, error) {
	text, err := e.v.Plan.featureSQL(name)
	if err != nil {
		return 0, err
	}
	step := "feature " + name
	create := func() error {
		err := e.db.CreateTableAs(ctx, name, text.SQL)
		if err != nil && ctx.Err() == nil {
			return sqlFailure(step, "", err, text.SQL)
		}
		return err
	}
	// A source streamed into this feature is checked right after the statement reads it, before the
	// feature's tests, which would otherwise report the rows that did not parse as missing.
	if streamed := e.streamedInto(name); len(streamed) > 0 {
		err = e.runStreamed(ctx, name, text.SQL, streamed, create)
	} else {
		err = create()
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	var rows int64
	if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+sql.Ident(name)).Scan(&rows); err != nil {
		return 0, err
	}
	f, _ := e.s.Features.Get(name)
	return rows, e.runTests(ctx, name, f.Tests)
}

// runTests runs a feature's data tests. Every test runs, so one failure does not hide another; blocking
// failures stop the run before anything is published, warnings are reported and the run goes on.
func (e *execution) runTests(ctx context.Context, table string, tests []spec.Test) error {
	var failed []string
	for i, t := range tests {
		failing, sample, err := e.runTest(ctx, table, t)
		if err != nil {
			return fmt.Errorf("feature %s, test %d (%s): %w", table, i+1, t.Kind, err)
		}
		if failing == 0 {
			continue
		}
		desc := fmt.Sprintf("test %d, %s: %s", i+1, describeTest(t), failingText(t, failing))
		if t.Severity == "warn" {
			e.warn("feature %s: %s", table, desc)
			continue
		}
		failed = append(failed, desc)
		for _, s := range sample {
			failed = append(failed, "  "+s)
		}
	}
	if len(failed) > 0 {
		return &Failure{Step: "feature " + table, Msg: "data tests failed; nothing was published", Details: failed}
	}
	return nil
}

func describeTest(t spec.Test) string {
	switch t.Kind {
	case "unique", "not_null":
		return fmt.Sprintf("%s %s", t.Kind, strings.Join(t.Columns, ", "))
	case "accepted_values":
		return fmt.Sprintf("accepted_values of %s", t.Columns[0])
	case "row_count":
		var b []string
		if t.Min != nil {
			b = append(b, fmt.Sprintf("min %d", *t.Min))
		}
		if t.Max != nil {
			b = append(b, fmt.Sprintf("max %d", *t.Max))
		}
		return "row_count " + strings.Join(b, ", ")
	case "assert":
		return "assert " + t.Expr
	case "relationships":
		return fmt.Sprintf("relationships %s -> %s.%s", t.Columns[0], t.To, t.Field)
	}
	return t.Kind
}

func failingText(t spec.Test, n int64) string {
	switch t.Kind {
	case "row_count":
		return "the table has " + plural.Rows(n-1)
	case "unique":
		return fmt.Sprintf("%s %s more than once", plural.Values(n), plural.Form(n, "occurs", "occur"))
	}
	return plural.Rows(n) + " " + plural.Form(n, "fails", "fail")
}

// runTest returns how many rows (or values) fail a test, and a sample of them. row_count reports rows+1
// when failing, so zero always means passing.
func (e *execution) runTest(ctx context.Context, table string, t spec.Test) (int64, []string, error) {
	tbl := sql.Ident(table)
	var where, count, sample string
	switch t.Kind {
	case "unique":
		cols := methods.IdentList(t.Columns)
		notNull := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			notNull[i] = sql.Ident(c) + " IS NOT NULL"
		}
		dups := fmt.Sprintf("SELECT %s, count(*) AS occurrences FROM %s WHERE %s GROUP BY %s HAVING count(*) > 1", cols, tbl, strings.Join(notNull, " AND "), cols)
		// Standard SQL (no GROUP BY ALL, an aliased subquery) so the test runs on PostgreSQL too.
		count = "SELECT count(*) FROM (" + dups + ") AS dups"
		sample = dups + " ORDER BY occurrences DESC LIMIT 3"
	case "not_null":
		conds := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			conds[i] = sql.Ident(c) + " IS NULL"
		}
		where = strings.Join(conds, " OR ")
	case "accepted_values":
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = sql.Literal(v)
		}
		col := sql.Ident(t.Columns[0])
		where = fmt.Sprintf("%s IS NOT NULL AND %s NOT IN (%s)", col, col, strings.Join(vals, ", "))
	case "assert":
		where = fmt.Sprintf("NOT coalesce((%s), false)", t.Expr)
	case "relationships":
		col := sql.Ident(t.Columns[0])
		where = fmt.Sprintf("%s IS NOT NULL AND %s NOT IN (SELECT %s FROM %s WHERE %s IS NOT NULL)", col, col, sql.Ident(t.Field), sql.Ident(t.To), sql.Ident(t.Field))
	case "row_count":
		var n int64
		if err := e.db.QueryRow(ctx, "SELECT count(*) FROM "+tbl).Scan(&n); err != nil {
			return 0, nil, err
		}
		if (t.Min != nil && n < *t.Min) || (t.Max != nil && n > *t.Max) {
			return n + 1, nil, nil
		}
		return 0, nil, nil
	default:
		return 0, nil, fmt.Errorf("unknown test %q", t.Kind)
	}
	if where != "" {
		count = fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", tbl, where)
		sample = fmt.Sprintf("SELECT * FROM %s WHERE %s LIMIT 3", tbl, where)
	}
	var n int64
	if err := e.db.QueryRow(ctx, count).Scan(&n); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, nil
	}
	rows, err := sql.SampleRows(ctx, e.db, sample)
	return n, rows, err
}
