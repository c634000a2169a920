package postgres

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/segrun/segrun/sql"
)

// upperBounds is sql's upperBounds (analyze_bounds.go) on PostgreSQL's parse tree: for each table
// reference (by its offset), the bounds the SELECT reading it puts on its columns by a var. A bound is a
// conjunct of the SELECT's WHERE clause or of a JOIN condition in its FROM clause,
//
//	col < X    col <= X    X > col    X >= col    col BETWEEN lo AND X
//
// where X reads the var as engine postgres does, (SELECT <var> FROM segrun_vars) (casts and arithmetic
// around it allowed), and col is qualified by the reference's alias (or the table's name) or unqualified.
// A bound in an outer query over a subquery that reads the table is not the subquery's reference's, as on
// DuckDB: the leakage check of a label_window model asks for the bound where the table is read.
func upperBounds(sel *pg_query.SelectStmt) map[int][]sql.ColumnBound {
	out := map[int][]sql.ColumnBound{}
	walk(sel.ProtoReflect(), func(m proto.Message) {
		s, ok := m.(*pg_query.SelectStmt)
		if !ok {
			return
		}
		var reads []*pg_query.RangeVar
		var conjuncts []*pg_query.Node
		for _, f := range s.FromClause {
			fromItem(f, &reads, &conjuncts)
		}
		if len(reads) == 0 {
			return
		}
		conjuncts = append(conjuncts, splitAnd(s.WhereClause)...)
		for _, r := range reads {
			alias := r.Relname
			if r.Alias != nil && r.Alias.Aliasname != "" {
				alias = r.Alias.Aliasname
			}
			if bs := boundsOn(conjuncts, alias); len(bs) > 0 {
				out[int(r.Location)] = append(out[int(r.Location)], bs...)
			}
		}
	})
	return out
}

// fromItem collects, in a FROM item's tree of joins, the table references and the JOIN conditions'
// conjuncts; subqueries are SELECTs of their own, visited by the caller's walk.
func fromItem(n *pg_query.Node, reads *[]*pg_query.RangeVar, conjuncts *[]*pg_query.Node) {
	switch {
	case n.GetRangeVar() != nil:
		*reads = append(*reads, n.GetRangeVar())
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		fromItem(j.Larg, reads, conjuncts)
		fromItem(j.Rarg, reads, conjuncts)
		*conjuncts = append(*conjuncts, splitAnd(j.Quals)...)
	}
}

// splitAnd is an expression's top-level AND terms.
func splitAnd(n *pg_query.Node) []*pg_query.Node {
	if n == nil {
		return nil
	}
	if b := n.GetBoolExpr(); b != nil && b.Boolop == pg_query.BoolExprType_AND_EXPR {
		var out []*pg_query.Node
		for _, a := range b.Args {
			out = append(out, splitAnd(a)...)
		}
		return out
	}
	return []*pg_query.Node{n}
}

// boundsOn are the upper bounds the conjuncts put on columns of the reference called alias.
func boundsOn(conjuncts []*pg_query.Node, alias string) []sql.ColumnBound {
	var out []sql.ColumnBound
	for _, c := range conjuncts {
		e := c.GetAExpr()
		if e == nil {
			continue
		}
		var col, limit *pg_query.Node
		switch e.Kind {
		case pg_query.A_Expr_Kind_AEXPR_OP:
			switch funcName(e.Name) {
			case "<", "<=":
				col, limit = e.Lexpr, e.Rexpr
			case ">", ">=":
				col, limit = e.Rexpr, e.Lexpr
			default:
				continue
			}
		case pg_query.A_Expr_Kind_AEXPR_BETWEEN:
			items := e.Rexpr.GetList().GetItems()
			if len(items) != 2 {
				continue
			}
			col, limit = e.Lexpr, items[1]
		default:
			continue
		}
		name, ok := columnOf(col, alias)
		if !ok {
			continue
		}
		for _, v := range varsRead(limit) {
			out = append(out, sql.ColumnBound{Column: name, Variable: v})
		}
	}
	return out
}

// columnOf is n's column name when n is a column reference, unqualified or qualified by alias.
func columnOf(n *pg_query.Node, alias string) (string, bool) {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.Fields) == 0 {
		return "", false
	}
	last := cr.Fields[len(cr.Fields)-1].GetString_()
	if last == nil {
		return "", false
	}
	if len(cr.Fields) == 1 {
		return last.Sval, true
	}
	q := cr.Fields[len(cr.Fields)-2].GetString_()
	return last.Sval, q != nil && strings.EqualFold(q.Sval, alias)
}

// varsRead are the vars n reads as scalar subqueries over the vars table: (SELECT <var> FROM segrun_vars).
func varsRead(n *pg_query.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	walk(n.ProtoReflect(), func(m proto.Message) {
		sl, ok := m.(*pg_query.SubLink)
		if !ok || sl.SubLinkType != pg_query.SubLinkType_EXPR_SUBLINK {
			return
		}
		s := sl.Subselect.GetSelectStmt()
		if s == nil || len(s.FromClause) != 1 || len(s.TargetList) != 1 || s.WhereClause != nil {
			return
		}
		rv := s.FromClause[0].GetRangeVar()
		if rv == nil || rv.Relname != VarsTable {
			return
		}
		// Qualified or not (segrun_vars.as_of, v.as_of): the subquery reads one table.
		if cr := s.TargetList[0].GetResTarget().GetVal().GetColumnRef(); cr != nil && len(cr.Fields) > 0 {
			if last := cr.Fields[len(cr.Fields)-1].GetString_(); last != nil {
				out = append(out, last.Sval)
			}
		}
	})
	return out
}
