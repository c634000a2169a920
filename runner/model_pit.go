package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// Point-in-time training (a model's label_window; docs/development.md, "Models as of a shifted date"):
// a label must come from after its features' date, or the test metrics flatter the model. With
// label_window the runner computes the training rows itself, in the same run:
//
//   - the features: from and every feature it reads, directly or not, run again into tables prefixed
//     segrun_train_<model>_ with the as_of variable set to as_of - days, so the same SQL, written against
//     getvariable('as_of'), gives each entity's features as of the window's start; the table names inside
//     the SQL are rewritten at the offsets DuckDB's own parse reports. Sources are not copied: features
//     filter them by their time column below getvariable('as_of').
//   - the label: label_window.sql, an aggregate over the entity's rows of label_window.from with time in
//     [as_of - days, as_of), as a correlated subquery, so an entity with no row gets the aggregate over no
//     rows (count(*) = 0 is true: churned).
//
// Scoring is unchanged: score (default from) as the run computed it, as of as_of.

// pitPrefix prefixes a model's shifted tables.
func pitPrefix(model string) string { return "segrun_train_" + model + "_" }

// pitTable is the training table a label_window model reads.
func pitTable(model string) string { return "segrun_train_" + model }

// pitWindow is the SQL of the window's start, reading as_of as the run's engine does (asOfSQL).
func pitWindow(s *spec.Spec, days int) string {
	return fmt.Sprintf("CAST(%s - INTERVAL '%d days' AS DATE)", asOfSQL(s), days)
}

// pitChain are the features a label_window model recomputes, in step order: from's upstream features and
// from. It also returns the first upstream step that is neither a source nor a feature, which cannot be
// recomputed as of another date.
func pitChain(s *spec.Spec, g *Graph, from string) (chain []string, other string) {
	for _, n := range append(g.Upstream(from), from) {
		_, feature := s.Features.Get(n)
		_, source := s.Sources.Get(n)
		switch {
		case feature:
			chain = append(chain, n)
		case source:
		case other == "":
			other = n
		}
	}
	return chain, other
}

// pitReaders are the label_window models that read table through their recomputed chain (their from's
// upstream steps, which the graph does not connect to the model): table must be kept until they have run.
func pitReaders(s *spec.Spec, g *Graph, table string) []string {
	var out []string
	for _, e := range s.Models {
		if e.Value.LabelWindow != nil && slices.Contains(g.Upstream(e.Value.From), table) {
			out = append(out, e.Key)
		}
	}
	return out
}

// labelWindowQuery is the label over the window for the rows of a table aliased f: a SELECT list item
// (the label) and what the FROM clause needs after "FROM <table> f" (a join on PostgreSQL, nothing on
// DuckDB). It is the one place the two engines' forms differ:
//
//   - DuckDB: a correlated subquery, the aggregate over the entity's rows in the window, which DuckDB
//     decorrelates into a join.
//   - PostgreSQL runs a correlated subquery once per entity (a SubPlan: on the shards, one remote query per
//     customer). There the window's rows are aggregated per entity in one GROUP BY and LEFT JOINed: one
//     statement per shard, the window's bounds shipped as parameters (and the aggregate too, when the
//     planner finds partitionwise aggregation cheaper); an entity with no row in the window gets the same
//     aggregate over no rows (SELECT sql FROM from WHERE false, a constant the planner runs once), as the
//     correlated form gives it: count(*) = 0 is true, churned.
func labelWindowQuery(s *spec.Spec, label string, w *spec.LabelWindow) (item, join string) {
	ent, tm := sql.Ident(s.Entity), sql.Ident(w.Time)
	if !s.IsPostgres() {
		return fmt.Sprintf("(SELECT %s FROM %s l WHERE l.%s = f.%s AND l.%s >= %s AND l.%s < %s) AS %s",
			w.SQL, sql.Ident(w.From), ent, ent, tm, pitWindow(s, w.Days), tm, asOfSQL(s), sql.Ident(label)), ""
	}
	item = fmt.Sprintf("CASE WHEN segrun_lw.segrun_entity IS NULL THEN (SELECT %s FROM %s l WHERE false) ELSE segrun_lw.segrun_label END AS %s",
		w.SQL, sql.Ident(w.From), sql.Ident(label))
	join = fmt.Sprintf(" LEFT JOIN (SELECT l.%s AS segrun_entity, %s AS segrun_label FROM %s l WHERE l.%s >= %s AND l.%s < %s GROUP BY l.%s) segrun_lw ON segrun_lw.segrun_entity = f.%s",
		ent, w.SQL, sql.Ident(w.From), tm, pitWindow(s, w.Days), tm, asOfSQL(s), ent, ent)
	return item, join
}

// LabelWindowSelect is the statement that makes a label_window model's training table from the table
// from (the model's from recomputed as of the window's start): from's rows with the label over the window,
// in the spec's engine's form (labelWindowQuery). Exported for the tests that read its plan on the shards.
func LabelWindowSelect(s *spec.Spec, model, from string) (string, error) {
	m, ok := s.Models.Get(model)
	if !ok || m.LabelWindow == nil {
		return "", fmt.Errorf("model %s has no label_window", model)
	}
	item, join := labelWindowQuery(s, m.Label, m.LabelWindow)
	return fmt.Sprintf("SELECT f.*, %s FROM %s f%s", item, sql.Ident(from), join), nil
}

// typeLabelWindow checks a model's label_window and returns the training table's columns: from's, with
// the label the window computes. ok is false when an error was reported.
func (c *validator) typeLabelWindow(name, path string, m spec.Model, input []sql.Column) ([]sql.Column, bool) {
	w := m.LabelWindow
	at := path + "/label_window"
	if _, ok := c.s.Features.Get(m.From); !ok {
		c.errorAt(path+"/from", "model.label_window", fmt.Sprintf("with label_window, from must be a feature written against %s (it is run again as of as_of - %d days); %s is not", asOfSQL(c.s), w.Days, m.From), "")
		return nil, false
	}
	chain, other := pitChain(c.s, c.v.Graph, m.From)
	if other != "" {
		c.errorAt(path+"/from", "model.label_window", fmt.Sprintf("with label_window, %s is run again as of as_of - %d days, but it reads %s, which is neither a source nor a feature and cannot be", m.From, w.Days, other), "")
		return nil, false
	}
	if slices.ContainsFunc(input, func(x sql.Column) bool { return x.Name == m.Label }) {
		c.errorAt(path+"/label", "model.label_window", fmt.Sprintf("%s already has a column %q; with label_window the label is computed from the window, so name it otherwise", m.From, m.Label), "")
		return nil, false
	}
	events, ok := c.v.Columns[w.From]
	if !ok {
		return nil, false
	}
	tc := slices.IndexFunc(events, func(x sql.Column) bool { return x.Name == w.Time })
	if tc < 0 {
		sugg := spec.Nearest(w.Time, sqlColumnNames(events))
		c.errorAt(at+"/time", "model.column", fmt.Sprintf("%s has no column %q%s", w.From, w.Time, suggestSuffix(sugg)), sugg)
		return nil, false
	}
	if t := strings.ToUpper(events[tc].Type); t != "DATE" && !strings.HasPrefix(t, "TIMESTAMP") {
		c.errorAt(at+"/time", "model.column", fmt.Sprintf("label_window.time %q is %s, not a DATE or TIMESTAMP", w.Time, events[tc].Type), "")
		return nil, false
	}
	if !slices.ContainsFunc(events, func(x sql.Column) bool { return x.Name == c.s.Entity }) {
		c.errorAt(at+"/from", "model.column", fmt.Sprintf("%s has no column %q, the entity", w.From, c.s.Entity), "")
		return nil, false
	}
	item, join := labelWindowQuery(c.s, m.Label, w)
	cols, err := c.db.Describe(c.ctx, "SELECT "+item+" FROM "+sql.Ident(m.From)+" f"+join)
	if err != nil {
		msg := err.Error()
		if se, ok := err.(*sql.Error); ok {
			msg = se.Msg
		}
		c.errorAt(at+"/sql", "model.label_window", "label_window.sql: "+msg, "")
		return nil, false
	}
	// A feature recomputed as of as_of - days that reads the label's table without bounding its time below
	// as_of reads the label's window too: leakage. Structural (sql.TableRef.UpperBounds, from the engine's
	// parse tree: DuckDB's, or PostgreSQL's through pg_query_go, where the bound reads the vars table):
	// each reference to the table needs the bound in the SELECT that reads it.
	for _, f := range chain {
		text, err := c.s.FeatureSQL(f)
		if err != nil {
			continue
		}
		a, err := c.db.Analyze(c.ctx, text.SQL)
		if err != nil {
			continue
		}
		i := slices.IndexFunc(a.Tables, func(r sql.TableRef) bool {
			return strings.EqualFold(r.Name, w.From) && (r.Schema == "" || r.Schema == "main") && !r.BoundedAbove(w.Time, "as_of")
		})
		if i < 0 {
			continue
		}
		line, _ := sql.OffsetPosition(text.SQL, a.Tables[i].Offset)
		c.warnAt(path+"/label_window", "model.leakage", fmt.Sprintf(
			"feature %s reads %s, the label's table, without %s < %s where it reads it (line %d of its SQL): recomputed as of as_of - %d days, its values would come from the label's window too",
			f, w.From, w.Time, asOfSQL(c.s), line, w.Days))
	}
	return append(slices.Clone(input), cols[0]), true
}

func sqlColumnNames(cols []sql.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// buildPointInTime computes a label_window model's training table: its features as of as_of - days, its
// label from the window. The as_of variable is restored however it ends. On both engines the shift is the
// run's own as_of variable set to the window's start for the chain (DuckDB's SET VARIABLE; on PostgreSQL
// the one row of the vars table updated, so the chain's SQL, which reads (SELECT as_of FROM segrun_vars),
// runs unchanged and its filter on as_of is still shipped to the shards as a parameter), then set back.
func (e *execution) buildPointInTime(ctx context.Context, name string, m spec.Model) (err error) {
	w := m.LabelWindow
	chain, _ := pitChain(e.s, e.v.Graph, m.From)
	var asOf *Var
	for i := range e.v.Vars {
		if e.v.Vars[i].Name == "as_of" {
			asOf = &e.v.Vars[i]
		}
	}
	if asOf == nil {
		return fmt.Errorf("model %s: the run has no as_of variable", name)
	}
	var start time.Time
	if err := e.db.QueryRow(ctx, "SELECT "+pitWindow(e.s, w.Days)).Scan(&start); err != nil {
		return fmt.Errorf("model %s: the window's start: %w", name, err)
	}
	if err := e.db.SetVariable(ctx, "as_of", "DATE", start.Format(time.DateOnly)); err != nil {
		return err
	}
	defer func() {
		if rerr := e.db.SetVariable(ctx, asOf.Name, asOf.Type, asOf.Value); rerr != nil && err == nil {
			err = rerr
		}
	}()
	prefix := pitPrefix(name)
	for _, f := range chain {
		text, err := e.v.Plan.featureSQL(f)
		if err != nil {
			return err
		}
		rewritten, err := e.rewriteTables(ctx, text.SQL, chain, prefix)
		if err != nil {
			return err
		}
		if err := e.db.CreateTableAs(ctx, prefix+f, rewritten); err != nil {
			return sqlFailure("model "+name, fmt.Sprintf("feature %s as of as_of - %d days: ", f, w.Days), err, rewritten)
		}
	}
	// The label's window ends at the run's own as_of: set it back first.
	if err := e.db.SetVariable(ctx, asOf.Name, asOf.Type, asOf.Value); err != nil {
		return err
	}
	q, err := LabelWindowSelect(e.s, name, prefix+m.From)
	if err != nil {
		return err
	}
	if err := e.db.CreateTableAs(ctx, pitTable(name), q); err != nil {
		return sqlFailure("model "+name, "the label over the window: ", err, q)
	}
	return nil
}

// rewriteTables replaces, in query, every reference to a table of chain by its prefixed copy, at the
// offsets DuckDB's parser reports (so a name in a string or a column of the same name is left alone).
func (e *execution) rewriteTables(ctx context.Context, query string, chain []string, prefix string) (string, error) {
	a, err := e.db.Analyze(ctx, query)
	if err != nil {
		return "", err
	}
	refs := slices.Clone(a.Tables)
	slices.SortFunc(refs, func(x, y sql.TableRef) int { return y.Offset - x.Offset }) // from the end: offsets stay valid
	for _, r := range refs {
		if (r.Schema != "" && r.Schema != "main") || !slices.Contains(chain, strings.ToLower(r.Name)) {
			continue
		}
		at := r.Offset
		length := len(r.Name)
		if at < len(query) && query[at] == '"' {
			length += 2
		}
		if at+length > len(query) {
			return "", fmt.Errorf("rewriting %s: offset %d is past the query", r.Name, at)
		}
		query = query[:at] + sql.Ident(prefix+strings.ToLower(r.Name)) + query[at+length:]
	}
	return query, nil
}
