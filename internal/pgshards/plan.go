package pgshards

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// PlanNode is a node of PostgreSQL's EXPLAIN (VERBOSE, FORMAT JSON) plan, with the fields the proof reads.
type PlanNode struct {
	NodeType string `json:"Node Type"`
	// ParentRelationship is "InitPlan" for the vars table's scalar subqueries, "Member" under an Append.
	ParentRelationship string `json:"Parent Relationship"`
	// Relations names what a Foreign Scan computes ("Aggregate on (public.orders_shard0 orders)").
	Relations string `json:"Relations"`
	// RemoteSQL is the statement postgres_fdw sends to the shard.
	RemoteSQL string `json:"Remote SQL"`
	// Filter is a condition evaluated on the coordinator, after the rows arrived.
	Filter string `json:"Filter"`
	// ActualRows and ActualLoops are EXPLAIN ANALYZE's: rows per loop that left the node.
	ActualRows  float64 `json:"Actual Rows"`
	ActualLoops float64 `json:"Actual Loops"`
	// RemovedByFilter are the rows Filter dropped: they arrived, and were not counted in ActualRows.
	RemovedByFilter float64    `json:"Rows Removed by Filter"`
	Plans           []PlanNode `json:"Plans"`
}

// ParsePlan reads EXPLAIN (FORMAT JSON)'s output: a one-element array holding {"Plan": ...}.
func ParsePlan(explained []byte) (PlanNode, error) {
	var out []struct{ Plan PlanNode }
	if err := json.Unmarshal(explained, &out); err != nil {
		return PlanNode{}, err
	}
	if len(out) != 1 {
		return PlanNode{}, fmt.Errorf("EXPLAIN returned %d plans, want 1", len(out))
	}
	return out[0].Plan, nil
}

// Explain is query's plan on conn, from EXPLAIN (VERBOSE, FORMAT JSON); with analyze, EXPLAIN ANALYZE,
// which runs the query, so that the rows that crossed from the shards are counted, not estimated.
func Explain(ctx context.Context, conn *pgx.Conn, query string, analyze bool) (PlanNode, error) {
	opts := "VERBOSE, FORMAT JSON"
	if analyze {
		opts = "ANALYZE, " + opts
	}
	var out []byte
	if err := conn.QueryRow(ctx, "EXPLAIN ("+opts+") "+query).Scan(&out); err != nil {
		return PlanNode{}, fmt.Errorf("EXPLAIN %s: %w", query, err)
	}
	return ParsePlan(out)
}

// Walk calls fn on n and every node below it, depth first.
func (n PlanNode) Walk(fn func(PlanNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.Walk(fn)
	}
}

// ForeignScans are the plan's Foreign Scan nodes: one per shard query.
func (n PlanNode) ForeignScans() []PlanNode {
	var scans []PlanNode
	n.Walk(func(c PlanNode) {
		if c.NodeType == "Foreign Scan" {
			scans = append(scans, c)
		}
	})
	return scans
}

// LocalAggregates are Aggregate nodes run on the coordinator over rows that came from shards: an
// aggregate with a Foreign Scan below it. (An aggregate pushed down is inside a Foreign Scan, not above it.)
func (n PlanNode) LocalAggregates() []PlanNode {
	var aggs []PlanNode
	n.Walk(func(c PlanNode) {
		if c.NodeType == "Aggregate" && len(c.ForeignScans()) > 0 {
			aggs = append(aggs, c)
		}
	})
	return aggs
}

// RowsFromShards is what EXPLAIN ANALYZE counted arriving at the Foreign Scans: the rows that crossed the
// network to the coordinator, those a coordinator-side Filter then dropped included.
func (n PlanNode) RowsFromShards() float64 {
	rows := 0.0
	for _, s := range n.ForeignScans() {
		rows += (s.ActualRows + s.RemovedByFilter) * max(s.ActualLoops, 1)
	}
	return rows
}
