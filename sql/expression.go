package sql

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ExpressionTable is the table name CheckExpression parses an expression against: a KPI's value is
// checked as the one select item of SELECT <expr> FROM ExpressionTable.
const ExpressionTable = "segrun_expression_rows"

// CheckExpression makes sure expr is exactly one SQL expression over the columns of one table, so that
// segrun can put it in a statement of its own: it parses SELECT <expr> FROM ExpressionTable with DuckDB's
// parser and refuses anything that does not come back as that statement with one select item and nothing
// else (a second statement, a comment swallowing the FROM, a WHERE, GROUP BY or UNION smuggled in, a
// subquery reading another table). Positions in the returned *Error are expr's own (line, column).
func CheckExpression(ctx context.Context, ws Workspace, expr string) error {
	const prefix = "SELECT "
	query := prefix + expr + " FROM " + ExpressionTable
	fail := func(msg string) error { return &Error{Kind: "Parser", Msg: msg, Line: 1, Column: 1} }
	if strings.TrimSpace(expr) == "" {
		return fail("the expression is empty")
	}
	if strings.Contains(expr, ";") {
		return fail("one expression only: ';' ends a statement")
	}
	var out string
	if err := ws.QueryRow(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", query).Scan(&out); err != nil {
		return err
	}
	var doc struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Position   string            `json:"position"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return fmt.Errorf("reading DuckDB's parse tree: %w", err)
	}
	if doc.Error {
		e := &Error{Kind: "Parser", Msg: doc.Message, Line: 1, Column: 1}
		if pos, err := strconv.Atoi(doc.Position); err == nil && pos >= len(prefix) && pos < len(prefix)+len(expr) {
			e.Line, e.Column = OffsetPosition(expr, pos-len(prefix))
		}
		return e
	}
	if len(doc.Statements) != 1 {
		return fail("one expression only")
	}
	var stmt struct {
		Node struct {
			Type       string              `json:"type"`
			SelectList []map[string]any    `json:"select_list"`
			FromTable  map[string]any      `json:"from_table"`
			Where      any                 `json:"where_clause"`
			Groups     []any               `json:"group_expressions"`
			Having     any                 `json:"having"`
			Qualify    any                 `json:"qualify"`
			Modifiers  []any               `json:"modifiers"`
			CTEs       struct{ Map []any } `json:"cte_map"`
		} `json:"node"`
	}
	if err := json.Unmarshal(doc.Statements[0], &stmt); err != nil {
		return fmt.Errorf("reading DuckDB's parse tree: %w", err)
	}
	n := stmt.Node
	table, _ := n.FromTable["table_name"].(string)
	if n.Type != "SELECT_NODE" || len(n.SelectList) != 1 || n.FromTable["type"] != "BASE_TABLE" || table != ExpressionTable ||
		n.Where != nil || len(n.Groups) > 0 || n.Having != nil || n.Qualify != nil || len(n.Modifiers) > 0 || len(n.CTEs.Map) > 0 {
		return fail("must be one SQL expression, such as avg(amount): no FROM, WHERE, GROUP BY, ORDER BY or comments")
	}
	if alias, _ := n.SelectList[0]["alias"].(string); alias != "" {
		return fail("must be one SQL expression without a name (AS " + alias + "): the KPI's name is its name")
	}
	var bad string
	walk(any(n.SelectList[0]), func(m map[string]any) {
		if m["class"] == "SUBQUERY" || m["type"] == "SUBQUERY" {
			bad = "a subquery"
		}
		if m["type"] == "BASE_TABLE" || m["type"] == "TABLE_FUNCTION" {
			bad = "a table"
		}
	})
	if bad != "" {
		return fail("must be an expression over the table's own columns; it reads " + bad)
	}
	return nil
}
