package sql

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// PlanNode is an operator of DuckDB's physical plan, from EXPLAIN or from a statement's profile. The rest
// of segrun reads plans only through the questions below (ScansRunToEnd, ScannedRows, SingleArrowScan), so
// operator names and DuckDB's ways of printing them stay in this package.
type PlanNode struct {
	Name     string
	Rows     int64  // rows the operator produced (profiles only)
	Files    string // a CSV scan's file list, as DuckDB prints it (profiles only)
	Children []PlanNode
	// Extra is what EXPLAIN prints about the operator: a scan's projected columns and pushed filters.
	Extra map[string]any `json:"extra_info"`
}

// ExplainCreate returns the physical plan of query, a statement whose result becomes a table.
func (d *DB) ExplainCreate(ctx context.Context, query string) (PlanNode, error) {
	var kind, text string
	if err := d.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&kind, &text); err != nil {
		return PlanNode{}, err
	}
	var roots []PlanNode
	if err := json.Unmarshal([]byte(text), &roots); err != nil {
		return PlanNode{}, fmt.Errorf("reading DuckDB's plan: %w", err)
	}
	// The statement's result is all kept (it becomes the table): a root that reads all of it.
	return PlanNode{Name: "CREATE_TABLE_AS", Children: roots}, nil
}

// Profiled runs fn with DuckDB's profiler on and returns the plan of the last statement fn ran, as it
// executed (rows per operator). The plan is empty (no Name) when DuckDB kept no profile.
func (d *DB) Profiled(ctx context.Context, fn func() error) (PlanNode, error) {
	if err := d.Exec(ctx, "PRAGMA enable_profiling = 'no_output'"); err != nil {
		return PlanNode{}, err
	}
	ferr := fn()
	var plan PlanNode
	if ferr == nil {
		if p, err := duckdb.GetProfilingInfo(d.Conn()); err == nil {
			plan = profilePlan(&p)
		}
	}
	if err := d.Exec(context.WithoutCancel(ctx), "PRAGMA disable_profiling"); err != nil && ferr == nil {
		return PlanNode{}, fmt.Errorf("turning DuckDB's profiler off: %w", err)
	}
	return plan, ferr
}

// profilePlan turns a statement's profile into its plan.
func profilePlan(p *duckdb.ProfilingInfo) PlanNode {
	if p == nil {
		return PlanNode{}
	}
	n := PlanNode{Name: p.Metrics["OPERATOR_NAME"], Files: scanFiles(p.Metrics["EXTRA_INFO"])}
	n.Rows, _ = strconv.ParseInt(p.Metrics["OPERATOR_CARDINALITY"], 10, 64)
	if n.Name == "" { // the query root
		n.Name = "QUERY"
	}
	for i := range p.Children {
		n.Children = append(n.Children, profilePlan(&p.Children[i]))
	}
	return n
}

// Operators by what they do with their input: a sink reads all of it whatever happens to its output; a
// pass-through reads all of it when its own output is all read. Any other operator (LIMIT, a join's probe
// side, which is skipped when the build side is empty) may stop reading early.
var (
	planSinks = map[string]bool{"QUERY": true, "CREATE_TABLE_AS": true, "HASH_GROUP_BY": true, "PERFECT_HASH_GROUP_BY": true,
		"UNGROUPED_AGGREGATE": true, "SIMPLE_AGGREGATE": true, "ORDER_BY": true, "TOP_N": true, "WINDOW": true}
	planPassThrough = map[string]bool{"FILTER": true, "PROJECTION": true, "UNION": true, "STREAMING_WINDOW": true}
)

// ScansRunToEnd says whether every CSV scan in a plan is read to its end.
func ScansRunToEnd(root PlanNode) bool {
	if root.Name == "" {
		return false
	}
	var walk func(n PlanNode, whole bool) bool
	walk = func(n PlanNode, whole bool) bool {
		if n.Name == "READ_CSV" {
			return whole
		}
		for i, c := range n.Children {
			childWhole := false
			switch {
			case planSinks[n.Name]:
				childWhole = true
			case planPassThrough[n.Name]:
				childWhole = whole
			case n.Name == "HASH_JOIN" && i == 1:
				childWhole = true // the build side is read whole before the probe side starts
			}
			if !walk(c, childWhole) {
				return false
			}
		}
		return true
	}
	return walk(root, true)
}

// ScannedRows finds the CSV scans of files (as DuckDB prints a reader's file list: one path or glob, or
// paths joined by ", ") and returns the most rows one of them produced: a statement that reads a source
// twice scans it whole twice. DuckDB shortens long file lists; when only is true, the plan's one CSV scan
// is taken for the source whatever its list says.
func ScannedRows(root PlanNode, files string, only bool) (int64, bool) {
	var best int64
	found := false
	var scans []PlanNode
	var walk func(n PlanNode)
	walk = func(n PlanNode) {
		if n.Name == "READ_CSV" {
			scans = append(scans, n)
			if n.Files == files {
				best, found = max(best, n.Rows), true
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	if !found && only && len(scans) == 1 {
		return scans[0].Rows, true
	}
	return best, found
}

// scanFiles reads the file list out of a CSV scan's EXTRA_INFO, which DuckDB prints as
// {Function=READ_CSV, ..., 'Filename(s)'=data/orders.csv} and quotes values holding ", ".
func scanFiles(extra string) string {
	const key = "'Filename(s)'="
	i := strings.Index(extra, key)
	if i < 0 {
		return ""
	}
	v := extra[i+len(key):]
	if strings.HasPrefix(v, "'") {
		if j := strings.IndexByte(v[1:], '\''); j >= 0 {
			return v[1 : 1+j]
		}
		return ""
	}
	if j := strings.IndexAny(v, ",}"); j >= 0 {
		v = v[:j]
	}
	return strings.TrimSpace(v)
}

// SingleArrowScan says whether a plan reads an Arrow view exactly once, to its end, through operators
// that only filter, project, aggregate, sort or window, and whether that scan asks for every column in
// file order with no filter pushed into it (what the stream gives: RegisterView). Anything else (joins, a
// second scan, recursive CTEs, operators this list does not know) leaves the source to DuckDB's reader.
func SingleArrowScan(root PlanNode, columns []string) bool {
	scans := 0
	var walk func(n PlanNode) bool
	walk = func(n PlanNode) bool {
		switch {
		case n.Name == "ARROW_SCAN":
			scans++
			if !scansAll(n.Extra, columns) {
				return false
			}
		case !planSinks[n.Name] && !planPassThrough[n.Name]:
			return false
		}
		for _, c := range n.Children {
			if !walk(c) {
				return false
			}
		}
		return true
	}
	return walk(root) && scans == 1
}

// scansAll reads a scan's EXPLAIN details: its projections must be columns, in order, and no filter may be
// pushed into it. DuckDB prints one projection as a string and several as a list.
func scansAll(extra map[string]any, columns []string) bool {
	for k := range extra {
		if strings.Contains(strings.ToLower(k), "filter") {
			return false
		}
	}
	var got []string
	switch p := extra["Projections"].(type) {
	case string:
		got = []string{p}
	case []any:
		for _, v := range p {
			s, _ := v.(string)
			got = append(got, s)
		}
	}
	return slices.Equal(got, columns)
}
