package sql

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// TableRef is a table a statement reads, at a byte offset in the statement.
type TableRef struct {
	Name   string
	Schema string
	Offset int
	// UpperBounds are the bounds the SELECT reading it puts on its columns by a variable (col <
	// getvariable('as_of'); analyze_bounds.go).
	UpperBounds []ColumnBound
}

// Analysis is what DuckDB's parser says about a statement, before anything is bound.
type Analysis struct {
	// Tables are the tables read, CTE names excluded, in order of appearance.
	Tables []TableRef
	// Functions are the names of the functions called, for reproducibility warnings (now(), random()).
	Functions []FunctionRef
	// TableFunctions are table functions in FROM (read_csv...), which bypass declared sources.
	TableFunctions []FunctionRef
	// Projections are the outermost SELECT's list, in order: what each output column is named and, when it
	// is a plain column reference, which column it passes on unchanged. Empty for a set operation (UNION).
	Projections []Projection
}

// Projection is one item of a SELECT list: its output name (the alias, or the column's own name), and
// Ref, the column name it references when it is nothing but a column reference (col, t.col, col AS x).
// Star marks * (and t.*), whose columns are the inputs' own.
type Projection struct {
	Name string
	Ref  string
	Star bool
}

// FunctionRef is a function call at a byte offset.
type FunctionRef struct {
	Name   string
	Offset int
}

// Analyze parses one SELECT statement with DuckDB's own parser (json_serialize_sql) and lists what it
// reads. duckdb-go's GetTableNames would do for the table list, but it silently returns nothing for JOIN
// ... USING and NATURAL JOIN (DuckDB binds to extract the names, and binding fails while the tables do not
// exist yet), which are common in feature SQL; the parser's tree has no such gap and gives positions.
func (d *DB) Analyze(ctx context.Context, query string) (*Analysis, error) {
	var out string
	if err := d.conn.QueryRowContext(ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", query).Scan(&out); err != nil {
		return nil, err
	}
	var doc struct {
		Error      bool              `json:"error"`
		ErrorType  string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Position   string            `json:"position"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("reading DuckDB's parse tree: %w", err)
	}
	if doc.Error {
		e := &Error{Kind: "Parser", Msg: doc.Message}
		if doc.ErrorType == "not implemented" {
			e.Msg = "a feature must be a single SELECT statement (WITH ... SELECT is fine)"
			e.Line, e.Column = 1, 1
		}
		if pos, err := strconv.Atoi(doc.Position); err == nil {
			e.Line, e.Column = OffsetPosition(query, pos)
		}
		return nil, e
	}
	if len(doc.Statements) != 1 {
		return nil, &Error{Kind: "Parser", Msg: fmt.Sprintf("a feature must be one SELECT statement; found %d", len(doc.Statements)), Line: 1, Column: 1}
	}
	var tree any
	if err := json.Unmarshal(doc.Statements[0], &tree); err != nil {
		return nil, err
	}
	a := &Analysis{}
	ctes := map[string]bool{}
	walk(tree, func(m map[string]any) {
		if cm, ok := m["cte_map"].(map[string]any); ok {
			entries, _ := cm["map"].([]any)
			for _, e := range entries {
				if em, ok := e.(map[string]any); ok {
					if k, ok := em["key"].(string); ok {
						ctes[strings.ToLower(k)] = true
					}
				}
			}
		}
		switch m["type"] {
		case "BASE_TABLE":
			name, _ := m["table_name"].(string)
			schema, _ := m["schema_name"].(string)
			a.Tables = append(a.Tables, TableRef{Name: name, Schema: schema, Offset: location(m)})
		case "TABLE_FUNCTION":
			if fn, ok := m["function"].(map[string]any); ok {
				name, _ := fn["function_name"].(string)
				a.TableFunctions = append(a.TableFunctions, FunctionRef{Name: name, Offset: location(m)})
			}
		}
		if m["class"] == "FUNCTION" {
			name, _ := m["function_name"].(string)
			a.Functions = append(a.Functions, FunctionRef{Name: strings.ToLower(name), Offset: location(m)})
		}
	})
	bounds := upperBounds(tree)
	for i := range a.Tables {
		a.Tables[i].UpperBounds = bounds[a.Tables[i].Offset]
	}
	a.Projections = projections(tree)
	a.Tables = slices.DeleteFunc(a.Tables, func(t TableRef) bool { return t.Schema == "" && ctes[strings.ToLower(t.Name)] })
	slices.SortStableFunc(a.Tables, func(x, y TableRef) int { return x.Offset - y.Offset })
	return a, nil
}

// location reads a node's query_location; DuckDB uses the largest uint64 for "none".
func location(m map[string]any) int {
	f, ok := m["query_location"].(float64)
	if !ok || f < 0 || f > 1<<40 {
		return 0
	}
	return int(f)
}

func walk(v any, visit func(map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		visit(x)
		for _, c := range x {
			walk(c, visit)
		}
	case []any:
		for _, c := range x {
			walk(c, visit)
		}
	}
}

// projections reads the outermost SELECT list of a statement's parse tree.
func projections(tree any) []Projection {
	stmt, _ := tree.(map[string]any)
	node, _ := stmt["node"].(map[string]any)
	if node["type"] != "SELECT_NODE" {
		return nil
	}
	list, _ := node["select_list"].([]any)
	out := make([]Projection, 0, len(list))
	for _, item := range list {
		m, _ := item.(map[string]any)
		alias, _ := m["alias"].(string)
		p := Projection{Name: alias}
		switch m["class"] {
		case "STAR":
			p.Star = true
		case "COLUMN_REF":
			if names, _ := m["column_names"].([]any); len(names) > 0 {
				p.Ref, _ = names[len(names)-1].(string)
				if p.Name == "" {
					p.Name = p.Ref
				}
			}
		}
		out = append(out, p)
	}
	return out
}
