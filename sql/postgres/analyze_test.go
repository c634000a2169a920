package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/segrun/segrun/sql"
)

// PostgreSQL's parser finds the tables a feature reads without a server: CTE names excluded, JOIN USING
// and schema-qualified names included, in order of appearance, with functions and the SELECT list.
func TestAnalyzeSQLOffline(t *testing.T) {
	q := `WITH recent AS (SELECT * FROM sales.orders WHERE day >= (SELECT as_of FROM segrun_vars) - 90)
SELECT c.customer_id, count(*) AS orders, sum(r.amount) total, c.*
FROM customers c JOIN recent r USING (customer_id) NATURAL JOIN regions, generate_series(1, 3) g
GROUP BY 1`
	a, err := AnalyzeSQL(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, tr := range a.Tables {
		name := tr.Name
		if tr.Schema != "" {
			name = tr.Schema + "." + name
		}
		tables = append(tables, fmt.Sprintf("%s@%d", name, tr.Offset))
	}
	if got, want := fmt.Sprint(tables), "[sales.orders@30 segrun_vars@75 customers@166 regions@225]"; got != want {
		t.Errorf("tables %s, want %s", got, want)
	}
	var fns []string
	for _, f := range a.Functions {
		fns = append(fns, f.Name)
	}
	if got := fmt.Sprint(fns); got != "[count sum generate_series]" {
		t.Errorf("functions %s", got)
	}
	if len(a.TableFunctions) != 1 || a.TableFunctions[0].Name != "generate_series" {
		t.Errorf("table functions %+v", a.TableFunctions)
	}
	if got, want := fmt.Sprint(a.Projections), "[{customer_id customer_id false} {orders  false} {total  false} {  true}]"; got != want {
		t.Errorf("projections %s, want %s", got, want)
	}
}

// A syntax error is located at the line and column PostgreSQL's parser points to (characters, not
// bytes), and is the statement's fault; two statements or a non-SELECT are refused at 1:1.
func TestAnalyzeSQLErrors(t *testing.T) {
	for _, c := range []struct {
		query, msg string
		line, col  int
	}{
		{"SELECT a,\n  b FROM t WHERE", "syntax error at end of input", 2, 17},
		{"SELECT 'é', x FROM t\nWHERE x = = 1", `syntax error at or near "="`, 2, 11},
		{"SELECT 1 FORM t", `syntax error at or near "t"`, 1, 15},
		{"SELECT 1; SELECT 2", "a feature must be one SELECT statement; found 2", 1, 1},
		{"DELETE FROM t", "a feature must be a single SELECT statement (WITH ... SELECT is fine)", 1, 1},
	} {
		_, err := AnalyzeSQL(c.query)
		var se *sql.Error
		if !errors.As(err, &se) {
			t.Errorf("%q: %v, want a *sql.Error", c.query, err)
			continue
		}
		if se.Msg != c.msg || se.Line != c.line || se.Column != c.col || se.Class() != sql.StatementError {
			t.Errorf("%q: %q at %d:%d class %v, want %q at %d:%d", c.query, se.Msg, se.Line, se.Column, se.Class(), c.msg, c.line, c.col)
		}
		// The runner's ParseError hands it on as it is.
		if sql.ParseError(err, c.query) != se {
			t.Errorf("%q: sql.ParseError rebuilt the error", c.query)
		}
	}
}
