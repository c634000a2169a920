package runner

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/segrun/segrun/sql"
)

// sampleRows formats a few rows of a small query as "col=value, ..." lines, for failure messages.
func (e *execution) sampleRows(ctx context.Context, query string) ([]string, error) {
	rows, err := e.db.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	cols, values, err := scanAll(rows)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(values))
	for r, vals := range values {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "=" + formatValue(vals[i])
		}
		out[r] = sql.Truncate(strings.Join(parts, ", "), 200)
	}
	return out, nil
}

// scanAll reads every row of a small result as generic values, and closes it.
func scanAll(rows *stdsql.Rows) ([]string, [][]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return cols, out, rows.Err()
}

// sampleValues returns the first column of a small query as text.
func (e *execution) sampleValues(ctx context.Context, query string) ([]string, error) {
	rows, err := e.sampleRows(ctx, query)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if _, v, ok := strings.Cut(r, "="); ok {
			rows[i] = v
		}
	}
	return rows, nil
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05")
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return fmt.Sprint(v)
}
