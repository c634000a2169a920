package sql

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"time"
)

// SampleRows formats a few rows of a small query as "col=value, ..." lines, for failure messages. It
// needs only Query, so it works on any Workspace and is not one of its methods.
func SampleRows(ctx context.Context, d Workspace, query string) ([]string, error) {
	rows, err := d.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	cols, values, err := ScanAll(rows)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(values))
	for r, vals := range values {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = c + "=" + FormatValue(vals[i])
		}
		out[r] = Truncate(strings.Join(parts, ", "), 200)
	}
	return out, nil
}

// ScanAll reads every row of a small result as generic values, and closes it.
func ScanAll(rows *stdsql.Rows) ([]string, [][]any, error) {
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

// SampleValues returns the first column of a small query as text.
func SampleValues(ctx context.Context, d Workspace, query string) ([]string, error) {
	rows, err := SampleRows(ctx, d, query)
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

// FormatValue writes a value the way failure messages show it: text quoted, NULL named, times without
// their zero parts.
func FormatValue(v any) string {
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
