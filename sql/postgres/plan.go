package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/segrun/segrun/sql"
)

// ExplainCreate returns PostgreSQL's plan of query (EXPLAIN (FORMAT JSON, VERBOSE), nothing run) as
// sql.PlanNode: Name is the node type ("Seq Scan", "HashAggregate", "Foreign Scan"), Extra the node's
// other fields (Relation Name, Remote SQL...). sql's plan questions (ScansRunToEnd, SingleArrowScan) know
// DuckDB's operator names only, so on this engine they answer conservatively (no scan is known to run to
// its end): the runner's DuckDB-only fast paths stay off.
func (d *DB) ExplainCreate(ctx context.Context, query string) (sql.PlanNode, error) {
	var text string
	if err := d.conn.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON, VERBOSE) "+query).Scan(&text); err != nil {
		return sql.PlanNode{}, relocate(mapError(err, "EXPLAIN (FORMAT JSON, VERBOSE) "+query), len("EXPLAIN (FORMAT JSON, VERBOSE) "))
	}
	var doc []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil || len(doc) != 1 {
		return sql.PlanNode{}, fmt.Errorf("reading PostgreSQL's plan: %v", err)
	}
	return sql.PlanNode{Name: "CREATE_TABLE_AS", Children: []sql.PlanNode{planNode(doc[0].Plan)}}, nil
}

// planNode turns one node of EXPLAIN's JSON into a PlanNode.
func planNode(m map[string]any) sql.PlanNode {
	n := sql.PlanNode{Extra: map[string]any{}}
	n.Name, _ = m["Node Type"].(string)
	for k, v := range m {
		switch k {
		case "Node Type":
		case "Plans":
			kids, _ := v.([]any)
			for _, k := range kids {
				if km, ok := k.(map[string]any); ok {
					n.Children = append(n.Children, planNode(km))
				}
			}
		default:
			n.Extra[k] = v
		}
	}
	return n
}

// Profiled runs fn and returns an empty plan: this engine keeps no profile of the statements fn runs (an
// empty PlanNode is Workspace's "no profile kept"). EXPLAIN ANALYZE would run a statement a second time.
func (d *DB) Profiled(ctx context.Context, fn func() error) (sql.PlanNode, error) {
	return sql.PlanNode{}, fn()
}
