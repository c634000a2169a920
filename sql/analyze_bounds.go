package sql

import (
	"fmt"
	"strings"
)

// ColumnBound is an upper bound a SELECT puts on a column of a table it reads, by a variable: the
// reference's column compared below an expression that calls getvariable('<Variable>').
type ColumnBound struct {
	Column   string
	Variable string
}

// BoundedAbove says whether the reference's rows are bounded above on column by the variable (names
// compared without case).
func (r TableRef) BoundedAbove(column, variable string) bool {
	for _, b := range r.UpperBounds {
		if strings.EqualFold(b.Column, column) && b.Variable == variable {
			return true
		}
	}
	return false
}

// upperBounds finds, for each table reference of a parse tree (by its offset), the upper bounds the
// SELECT reading it puts on its columns: for point-in-time honesty a feature recomputed as of an earlier
// date must not read the rows after it. A bound is a conjunct (a term of the top-level AND) of the
// SELECT's WHERE clause or of a JOIN condition in its FROM clause:
//
//	col < X    col <= X    X > col    X >= col    col BETWEEN lo AND X
//
// where X calls getvariable('<name>') and col is qualified by the reference's alias (or the table's name)
// or unqualified. Everything comes from DuckDB's parse tree, so the words appearing elsewhere in the text
// (a recency of getvariable('as_of') - max(ordered_at) reads every row) do not count. A bound in an outer
// query over a subquery that reads the table is not the subquery's reference's: put the bound where the
// table is read.
func upperBounds(tree any) map[int][]ColumnBound {
	out := map[int][]ColumnBound{}
	walk(tree, func(m map[string]any) {
		if m["type"] != "SELECT_NODE" {
			return
		}
		from, _ := m["from_table"].(map[string]any)
		var reads []map[string]any
		var conjuncts []any
		fromClause(from, &reads, &conjuncts)
		if len(reads) == 0 {
			return
		}
		conjuncts = append(conjuncts, splitAnd(m["where_clause"])...)
		for _, r := range reads {
			name, _ := r["table_name"].(string)
			alias, _ := r["alias"].(string)
			if alias == "" {
				alias = name
			}
			if bs := boundsOn(conjuncts, alias); len(bs) > 0 {
				out[location(r)] = append(out[location(r)], bs...)
			}
		}
	})
	return out
}

// fromClause collects, in a FROM clause's tree of joins, the table references and the JOIN conditions'
// conjuncts; subqueries are SELECTs of their own, visited by the caller's walk.
func fromClause(n map[string]any, reads *[]map[string]any, conjuncts *[]any) {
	if n == nil {
		return
	}
	switch n["type"] {
	case "BASE_TABLE":
		*reads = append(*reads, n)
	case "JOIN":
		l, _ := n["left"].(map[string]any)
		r, _ := n["right"].(map[string]any)
		fromClause(l, reads, conjuncts)
		fromClause(r, reads, conjuncts)
		*conjuncts = append(*conjuncts, splitAnd(n["condition"])...)
	}
}

// splitAnd is an expression's top-level AND terms.
func splitAnd(e any) []any {
	m, ok := e.(map[string]any)
	if !ok {
		return nil
	}
	if m["type"] == "CONJUNCTION_AND" {
		var out []any
		children, _ := m["children"].([]any)
		for _, c := range children {
			out = append(out, splitAnd(c)...)
		}
		return out
	}
	return []any{m}
}

// boundsOn are the upper bounds the conjuncts put on columns of the reference called alias.
func boundsOn(conjuncts []any, alias string) []ColumnBound {
	var out []ColumnBound
	for _, c := range conjuncts {
		m, _ := c.(map[string]any)
		var col, limit any
		switch m["type"] {
		case "COMPARE_LESSTHAN", "COMPARE_LESSTHANOREQUALTO":
			col, limit = m["left"], m["right"]
		case "COMPARE_GREATERTHAN", "COMPARE_GREATERTHANOREQUALTO":
			col, limit = m["right"], m["left"]
		case "COMPARE_BETWEEN":
			col, limit = m["input"], m["upper"]
		default:
			continue
		}
		name, ok := columnOf(col, alias)
		if !ok {
			continue
		}
		for _, v := range variablesCalled(limit) {
			out = append(out, ColumnBound{Column: name, Variable: v})
		}
	}
	return out
}

// columnOf is e's column name when e is a column reference, unqualified or qualified by alias.
func columnOf(e any, alias string) (string, bool) {
	m, _ := e.(map[string]any)
	if m["class"] != "COLUMN_REF" {
		return "", false
	}
	names, _ := m["column_names"].([]any)
	if len(names) == 0 {
		return "", false
	}
	last, _ := names[len(names)-1].(string)
	if len(names) == 1 {
		return last, true
	}
	q, _ := names[len(names)-2].(string)
	return last, strings.EqualFold(q, alias)
}

// variablesCalled are the names e reads with getvariable('<name>').
func variablesCalled(e any) []string {
	var out []string
	walk(e, func(m map[string]any) {
		if m["class"] != "FUNCTION" || !strings.EqualFold(fmt.Sprint(m["function_name"]), "getvariable") {
			return
		}
		children, _ := m["children"].([]any)
		if len(children) == 1 {
			if c, ok := children[0].(map[string]any); ok && c["class"] == "CONSTANT" {
				if v, ok := c["value"].(map[string]any); ok {
					if s, ok := v["value"].(string); ok {
						out = append(out, s)
					}
				}
			}
		}
	})
	return out
}
