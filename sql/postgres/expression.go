package postgres

import (
	"errors"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"

	"github.com/segrun/segrun/sql"
)

// CheckExpression is sql.CheckExpression with PostgreSQL's own parser (libpg_query, no server): expr must
// be exactly one expression over the columns of one table, so that segrun can put it in a statement of
// its own. It parses SELECT <expr> FROM sql.ExpressionTable and refuses anything that does not come back
// as that statement with one unnamed select item and nothing else (a second statement, a comment
// swallowing the FROM, a WHERE, GROUP BY or UNION smuggled in, a subquery reading another table).
// Positions in the returned *sql.Error are expr's own (line, column).
func CheckExpression(expr string) error {
	const prefix = "SELECT "
	fail := func(msg string) error { return sql.NewEngineError("Parser", msg, 1, 1, sql.StatementError, nil) }
	if strings.TrimSpace(expr) == "" {
		return fail("the expression is empty")
	}
	if strings.Contains(expr, ";") {
		return fail("one expression only: ';' ends a statement")
	}
	query := prefix + expr + " FROM " + sql.ExpressionTable
	tree, err := pg_query.Parse(query)
	if err != nil {
		e := parseError(err, query).(*sql.Error)
		var pe *parser.Error
		if errors.As(err, &pe) && int(pe.Cursorpos) > len([]rune(prefix+expr)) {
			// At the FROM segrun added: the expression ended too early.
			e.Msg = "syntax error at the end of the expression (is it complete?)"
		}
		switch {
		case e.Line == 1 && e.Column > len(prefix) && e.Column <= len(prefix)+len([]rune(expr)):
			e.Column -= len(prefix)
		case e.Line > 1 && e.Line <= 1+strings.Count(expr, "\n"): // a later line of expr: its columns are its own
		default:
			e.Line, e.Column = 1, 1
		}
		return e
	}
	if len(tree.Stmts) != 1 {
		return fail("one expression only")
	}
	sel := tree.Stmts[0].GetStmt().GetSelectStmt()
	if sel == nil || sel.Op != pg_query.SetOperation_SETOP_NONE || len(sel.TargetList) != 1 || len(sel.FromClause) != 1 ||
		sel.WhereClause != nil || len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.SortClause) > 0 ||
		sel.LimitCount != nil || sel.LimitOffset != nil || sel.WithClause != nil || len(sel.WindowClause) > 0 || len(sel.DistinctClause) > 0 {
		return fail("must be one SQL expression, such as avg(amount): no FROM, WHERE, GROUP BY, ORDER BY or comments")
	}
	if rv := sel.FromClause[0].GetRangeVar(); rv == nil || rv.Relname != sql.ExpressionTable || rv.Schemaname != "" || rv.Alias != nil {
		return fail("must be one SQL expression, such as avg(amount): no FROM, WHERE, GROUP BY, ORDER BY or comments")
	}
	target := sel.TargetList[0].GetResTarget()
	if target == nil {
		return fail("must be one SQL expression")
	}
	if target.Name != "" {
		return fail("must be one SQL expression without a name (AS " + target.Name + "): the KPI's name is its name")
	}
	bad := ""
	walk(target.ProtoReflect(), func(m proto.Message) {
		switch m.(type) {
		case *pg_query.SubLink:
			if bad == "" {
				bad = "a subquery"
			}
		case *pg_query.RangeVar, *pg_query.RangeFunction:
			if bad == "" {
				bad = "a table"
			}
		}
	})
	if bad != "" {
		return fail("must be an expression over the table's own columns; it reads " + bad)
	}
	return nil
}
