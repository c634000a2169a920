package pgflagship

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/segrun/segrun/sql"
)

// Result is a query's table, engine-neutral: column names, their types by DuckDB's names, and rows of
// canonical values (nil, int64, *big.Rat for decimals, float64, string, bool, time.Time).
type Result struct {
	Columns []string
	Types   []string
	Rows    [][]any
}

// DoubleTolerance is how far apart (relative to the larger magnitude) two DOUBLE values of the same cell
// may be and still count as equal. Both engines compute the flagship's doubles with the same IEEE-754
// operations on the same inputs (a correctly rounded conversion of an exact decimal, then one division
// by an integer; a score parsed from the same text), so they agree to the last bit on the data tested;
// the tolerance leaves room for an engine that rounds in another order (a numeric division of 16 or more
// significant digits then cast, as PostgreSQL does without the flagship's cast: under 1e-15 relative),
// and is 100,000 times smaller than the smallest real difference a feature can make (one cent in an
// average order value of at most 9,999.99: 1e-6 relative).
const DoubleTolerance = 1e-12

// FetchPostgres runs query on conn and returns its table.
func FetchPostgres(ctx context.Context, conn *pgx.Conn, query string) (*Result, error) {
	// Described afresh every time: a cached prepared statement would refuse a table re-created with
	// other column types ("cached plan must not change result type").
	rows, err := conn.Query(ctx, query, pgx.QueryExecModeDescribeExec)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	r := &Result{}
	for _, f := range rows.FieldDescriptions() {
		r.Columns = append(r.Columns, f.Name)
		r.Types = append(r.Types, pgTypeName(f.DataTypeOID, f.TypeModifier))
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			if row[i], err = canonical(v); err != nil {
				return nil, fmt.Errorf("column %s: %w", r.Columns[i], err)
			}
		}
		r.Rows = append(r.Rows, row)
	}
	return r, rows.Err()
}

// FetchDuckDB runs query in ws and returns its table.
func FetchDuckDB(ctx context.Context, ws sql.Workspace, query string) (*Result, error) {
	rows, err := ws.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	r := &Result{}
	for _, t := range types {
		r.Columns = append(r.Columns, t.Name())
		r.Types = append(r.Types, t.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if vals[i], err = canonical(v); err != nil {
				return nil, fmt.Errorf("column %s: %w", r.Columns[i], err)
			}
		}
		r.Rows = append(r.Rows, vals)
	}
	return r, rows.Err()
}

// pgTypeName is DuckDB's name for a PostgreSQL result column's type (by OID and modifier), so that the
// two engines' columns compare by one name: int8 is BIGINT, numeric(38,2) DECIMAL(38,2), numeric
// without precision NUMERIC (which DuckDB has no column of), float8 DOUBLE, text VARCHAR.
func pgTypeName(oid uint32, typmod int32) string {
	switch oid {
	case pgtype.Int8OID:
		return "BIGINT"
	case pgtype.Int4OID:
		return "INTEGER"
	case pgtype.Int2OID:
		return "SMALLINT"
	case pgtype.NumericOID:
		if typmod < 4 {
			return "NUMERIC"
		}
		m := typmod - 4
		return fmt.Sprintf("DECIMAL(%d,%d)", (m>>16)&0xffff, m&0xffff)
	case pgtype.Float8OID:
		return "DOUBLE"
	case pgtype.Float4OID:
		return "FLOAT"
	case pgtype.TextOID, pgtype.VarcharOID:
		return "VARCHAR"
	case pgtype.BoolOID:
		return "BOOLEAN"
	case pgtype.DateOID:
		return "DATE"
	case pgtype.TimestampOID:
		return "TIMESTAMP"
	case pgtype.TimestamptzOID:
		return "TIMESTAMP WITH TIME ZONE"
	case pgtype.IntervalOID:
		return "INTERVAL"
	}
	return fmt.Sprintf("OID %d", oid)
}

// canonical maps a value either driver returns to the comparison's canonical form.
func canonical(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x, nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case time.Time:
		return x.UTC(), nil
	case pgtype.Numeric:
		if !x.Valid {
			return nil, nil
		}
		if x.NaN || x.InfinityModifier != pgtype.Finite {
			return nil, fmt.Errorf("numeric %v is not finite", x)
		}
		r := new(big.Rat).SetInt(x.Int)
		exp := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(x.Exp))), nil)
		if x.Exp >= 0 {
			return r.Mul(r, new(big.Rat).SetInt(exp)), nil
		}
		return r.Quo(r, new(big.Rat).SetInt(exp)), nil
	case fmt.Stringer: // DuckDB's DECIMAL (duckdb.Decimal), whose String is its exact value
		r, ok := new(big.Rat).SetString(x.String())
		if !ok {
			return nil, fmt.Errorf("value %v (%T) is not a number", x, x)
		}
		return r, nil
	}
	return nil, fmt.Errorf("value %v of type %T is not one the comparison knows", v, v)
}

func abs(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// Stats says how close two equal tables came: the largest relative difference of their DOUBLE cells.
type Stats struct {
	Rows          int
	MaxDoubleDiff float64
}

// Compare says how got differs from want, or returns nil when they are the same table: the same column
// names and types in order, and the same rows as sets, keyed by the first column (the entity, unique in
// every flagship feature); cells equal exactly but DOUBLEs, equal within DoubleTolerance. It lists at
// most a few differing rows, and how many differ.
func Compare(want, got *Result) (Stats, error) {
	var st Stats
	if strings.Join(want.Columns, ",") != strings.Join(got.Columns, ",") {
		return st, fmt.Errorf("columns %v, want %v", got.Columns, want.Columns)
	}
	if strings.Join(want.Types, ",") != strings.Join(got.Types, ",") {
		return st, fmt.Errorf("column types %v, want %v", got.Types, want.Types)
	}
	w, err := byKey(want)
	if err != nil {
		return st, fmt.Errorf("want: %w", err)
	}
	g, err := byKey(got)
	if err != nil {
		return st, fmt.Errorf("got: %w", err)
	}
	st.Rows = len(want.Rows)
	var diffs []string
	bad := 0
	note := func(s string) {
		bad++
		if len(diffs) < 5 {
			diffs = append(diffs, s)
		}
	}
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	for k := range g {
		if _, ok := w[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		wr, wok := w[k]
		gr, gok := g[k]
		switch {
		case !gok:
			note(fmt.Sprintf("%s %s: missing, want %v", want.Columns[0], k, show(wr)))
		case !wok:
			note(fmt.Sprintf("%s %s: %v, not wanted", want.Columns[0], k, show(gr)))
		default:
			for i := range wr {
				same, diff := equal(wr[i], gr[i])
				st.MaxDoubleDiff = max(st.MaxDoubleDiff, diff)
				if !same {
					note(fmt.Sprintf("%s %s: %s = %v, want %v", want.Columns[0], k, want.Columns[i], show1(gr[i]), show1(wr[i])))
					break
				}
			}
		}
	}
	if bad > 0 {
		return st, fmt.Errorf("%d of %d rows differ (%d got):\n  %s", bad, len(want.Rows), len(got.Rows), strings.Join(diffs, "\n  "))
	}
	return st, nil
}

func byKey(r *Result) (map[string][]any, error) {
	m := make(map[string][]any, len(r.Rows))
	for _, row := range r.Rows {
		k := show1(row[0])
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("%s %s is in more than one row", r.Columns[0], k)
		}
		m[k] = row
	}
	return m, nil
}

// equal compares two canonical cells; diff is their relative difference when both are doubles.
func equal(a, b any) (same bool, diff float64) {
	switch x := a.(type) {
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0, 0
	case float64:
		y, ok := b.(float64)
		if !ok {
			return false, 0
		}
		if x == y {
			return true, 0
		}
		d := math.Abs(x-y) / math.Max(math.Abs(x), math.Abs(y))
		return d <= DoubleTolerance, d
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y), 0
	}
	return a == b, 0
}

func show(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		parts[i] = show1(v)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func show1(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case *big.Rat:
		return x.FloatString(6)
	case time.Time:
		return x.Format(time.DateTime)
	case float64:
		return fmt.Sprintf("%.17g", x)
	}
	return fmt.Sprint(v)
}
