package pgflagship

import (
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

// Compare without servers: what it takes as equal and what it reports.
func TestCompare(t *testing.T) {
	day := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	base := func() *Result {
		return &Result{
			Columns: []string{"customer_id", "days", "money", "avg", "name", "seen"},
			Types:   []string{"BIGINT", "BIGINT", "DECIMAL(38,2)", "DOUBLE", "VARCHAR", "DATE"},
			Rows: [][]any{
				{int64(1), int64(5), rat("10.50"), 3.5, "a", day},
				{int64(2), nil, rat("-1.00"), 1.0 / 3, nil, nil},
			},
		}
	}
	cases := []struct {
		name   string
		change func(r *Result)
		differ string // "" when equal, else what the error says
	}{
		{"the same", func(*Result) {}, ""},
		{"rows in another order", func(r *Result) { r.Rows[0], r.Rows[1] = r.Rows[1], r.Rows[0] }, ""},
		{"a decimal written with another scale", func(r *Result) { r.Rows[0][2] = rat("10.5000") }, ""},
		{"a double within the tolerance", func(r *Result) { r.Rows[1][3] = 1.0 / 3 * (1 + DoubleTolerance/2) }, ""},
		{"a double beyond it", func(r *Result) { r.Rows[1][3] = 1.0 / 3 * (1 + 2*DoubleTolerance) }, "avg ="},
		{"a day off", func(r *Result) { r.Rows[0][1] = int64(6) }, "days = 6, want 5"},
		{"a cent off", func(r *Result) { r.Rows[0][2] = rat("10.51") }, "money ="},
		{"NULL for a value", func(r *Result) { r.Rows[0][4] = nil }, "name = NULL, want a"},
		{"a value for NULL", func(r *Result) { r.Rows[1][1] = int64(0) }, "days = 0, want NULL"},
		{"a date a day later", func(r *Result) { r.Rows[0][5] = day.AddDate(0, 0, 1) }, "seen ="},
		{"a missing row", func(r *Result) { r.Rows = r.Rows[:1] }, "customer_id 2: missing"},
		{"an extra row", func(r *Result) { r.Rows = append(r.Rows, []any{int64(3), nil, nil, nil, nil, nil}) }, "customer_id 3: (3, NULL"},
		{"another type", func(r *Result) { r.Types[2] = "NUMERIC" }, "column types"},
		{"another column name", func(r *Result) { r.Columns[1] = "recency" }, "columns"},
		{"a duplicated key", func(r *Result) { r.Rows[1][0] = int64(1) }, "more than one row"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := base()
			c.change(got)
			_, err := Compare(base(), got)
			switch {
			case c.differ == "" && err != nil:
				t.Errorf("want equal, got %v", err)
			case c.differ != "" && err == nil:
				t.Errorf("want a difference (%s), got equal", c.differ)
			case c.differ != "" && !strings.Contains(err.Error(), c.differ):
				t.Errorf("error %q does not say %q", err, c.differ)
			}
		})
	}
}

// The drivers' values map to one form: PostgreSQL's numeric and DuckDB's decimal (a Stringer) to the
// same exact number, integers of every width to int64.
func TestCanonical(t *testing.T) {
	n := pgtype.Numeric{Int: big.NewInt(-105), Exp: -1, Valid: true}
	got, err := canonical(n)
	if err != nil || got.(*big.Rat).Cmp(rat("-10.5")) != 0 {
		t.Errorf("numeric -105e-1: %v, %v", got, err)
	}
	got, err = canonical(pgtype.Numeric{Int: big.NewInt(12), Exp: 2, Valid: true})
	if err != nil || got.(*big.Rat).Cmp(rat("1200")) != 0 {
		t.Errorf("numeric 12e2: %v, %v", got, err)
	}
	if got, _ := canonical(pgtype.Numeric{}); got != nil {
		t.Errorf("a NULL numeric is %v", got)
	}
	if _, err := canonical(pgtype.Numeric{NaN: true, Valid: true}); err == nil {
		t.Error("NaN numeric accepted")
	}
	if got, _ := canonical(int32(7)); got != int64(7) {
		t.Errorf("int32 7 is %v (%T)", got, got)
	}
	if got, _ := canonical(stringer("-0.05")); got.(*big.Rat).Cmp(rat("-1/20")) != 0 {
		t.Errorf("decimal -0.05 is %v", got)
	}
	if _, err := canonical(stringer("abc")); err == nil {
		t.Error("a Stringer that is no number accepted")
	}
	if _, err := canonical([]int{1}); err == nil {
		t.Error("an unknown type accepted")
	}
	if same, _ := equal(math.Inf(1), math.Inf(1)); !same {
		t.Error("+Inf differs from itself")
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestPGTypeName(t *testing.T) {
	for _, c := range []struct {
		oid    uint32
		typmod int32
		want   string
	}{
		{pgtype.Int8OID, -1, "BIGINT"}, {pgtype.NumericOID, -1, "NUMERIC"},
		{pgtype.NumericOID, (38<<16 | 2) + 4, "DECIMAL(38,2)"}, {pgtype.Float8OID, -1, "DOUBLE"},
		{pgtype.TextOID, -1, "VARCHAR"}, {pgtype.DateOID, -1, "DATE"},
	} {
		if got := pgTypeName(c.oid, c.typmod); got != c.want {
			t.Errorf("OID %d (%d): %s, want %s", c.oid, c.typmod, got, c.want)
		}
	}
}
