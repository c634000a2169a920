package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// On a SQL engine a rule set runs as SQL, so that no row leaves the engine: a CASE over the rules' translated
// conditions (sql_expr.go) gives each row its segment, and one aggregate gives the numbers Evaluate's Stats
// give (matches and NULL skips per rule). A rule that reads a NULL (or a NaN in a number) does not match, as
// in Go: its condition is guarded by explicit IS NOT NULL tests, never left to SQL's three-valued logic.

// SQLOptions say how a rule set is written as SQL.
type SQLOptions struct {
	Dialect Dialect
	// VarsTable is the one-row table the rules' vars and as_of are read from, in scalar subqueries
	// ((SELECT as_of FROM segrun_vars)), one column per var named as the var; "" writes their values into
	// the SQL as literals instead (tests, and DuckDB when no such table exists).
	VarsTable string
	// Carry are input columns the membership rows copy (an RFM segmentation's scores).
	Carry []string
}

// SetSQL is a rule set as SQL over one input table.
type SetSQL struct {
	// Membership selects (entity, segment): for first-match rules one row per entity a rule (or else)
	// assigns; for multi rules one row per entity and matching rule, or the else segment where none matched.
	// Entities without a segment have no row. segment is VARCHAR.
	Membership string
	// Stats selects one row of BIGINTs: the input's rows, then each rule's matches, then each rule's rows
	// skipped for a NULL or NaN (among the rows that reached it), then the rows no rule matched. ReadStats
	// turns it into Evaluate's Stats.
	Stats string
	rules int
}

// SQL writes the rule set as SQL over table input (an identifier), whose entity column is entity. A rule
// without an exact SQL equivalent is an *UntranslatableError naming the rule and the construct.
func (rs *Set) SQL(input, entity string, o SQLOptions) (*SetSQL, error) {
	if len(rs.rules) == 0 { // a CASE needs a WHEN; the spec requires rules anyway
		return nil, fmt.Errorf("a rule set without rules has no SQL")
	}
	matches := make([]string, len(rs.rules))
	nulls := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		m, n, err := rs.ruleSQL(r, o)
		if err != nil {
			if ue, ok := err.(*UntranslatableError); ok {
				ue.Rule, ue.Segment = i, r.Segment
			}
			return nil, err
		}
		matches[i], nulls[i] = m, n
	}
	from := quoteIdent(input)
	ent := quoteIdent(entity)
	// Carried columns pass through the inner query under names of segrun's, so an input column named
	// like one of them cannot clash.
	var carryIn, carryOut string
	for i, c := range o.Carry {
		carryIn += fmt.Sprintf(", %s AS segrun_carry_%d", quoteIdent(c), i+1)
		carryOut += fmt.Sprintf(", segrun_carry_%d AS %s", i+1, quoteIdent(c))
	}
	q := &SetSQL{rules: len(rs.rules)}
	elseSegment, hasElse := rs.Else()
	var b strings.Builder
	if !rs.multi {
		// One CASE: the first rule that matches wins, as in assign.
		code := &strings.Builder{}
		fmt.Fprintf(&b, "SELECT segrun_entity AS %s, segrun_segment AS segment%s FROM (SELECT %s AS segrun_entity%s, CASE", ent, carryOut, ent, carryIn)
		code.WriteString("CASE")
		for i, m := range matches {
			fmt.Fprintf(&b, " WHEN %s THEN %s", m, quote(rs.rules[i].Segment))
			fmt.Fprintf(code, " WHEN %s THEN %d", m, i)
		}
		if hasElse {
			fmt.Fprintf(&b, " ELSE %s", quote(elseSegment))
		}
		code.WriteString(" END")
		fmt.Fprintf(&b, " END AS segrun_segment FROM %s) AS segrun_rules WHERE segrun_segment IS NOT NULL", from)
		q.Membership = b.String()
		// A rule's NULL skips count the rows it was reached by: no earlier rule matched (recordNulls).
		cols := []string{"count(*) AS rows"}
		sel := []string{code.String() + " AS segrun_code"}
		for i := range matches {
			cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE segrun_code = %d) AS matched_%d", i, i+1))
		}
		for i, n := range nulls {
			cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE segrun_null_%d AND (segrun_code IS NULL OR segrun_code > %d)) AS null_skipped_%d", i+1, i, i+1))
			sel = append(sel, n+fmt.Sprintf(" AS segrun_null_%d", i+1))
		}
		cols = append(cols, "count(*) FILTER (WHERE segrun_code IS NULL) AS unmatched")
		q.Stats = fmt.Sprintf("SELECT %s FROM (SELECT %s FROM %s%s) AS segrun_rules", strings.Join(cols, ", "), strings.Join(sel, ", "), from, statsFence(o.Dialect))
		return q, nil
	}
	// Multi: every rule's match as a column, then one row per matching rule through a lateral VALUES list,
	// which reads the input once.
	sel := []string{ent + " AS segrun_entity" + carryIn}
	var values, anyMatch []string
	for i, m := range matches {
		sel = append(sel, fmt.Sprintf("%s AS segrun_match_%d", m, i+1))
		values = append(values, fmt.Sprintf("(CASE WHEN segrun_match_%d THEN %s END)", i+1, quote(rs.rules[i].Segment)))
		anyMatch = append(anyMatch, fmt.Sprintf("segrun_match_%d", i+1))
	}
	none := "FALSE"
	if len(anyMatch) > 0 {
		none = "NOT (" + strings.Join(anyMatch, " OR ") + ")"
	}
	if hasElse {
		values = append(values, fmt.Sprintf("(CASE WHEN %s THEN %s END)", none, quote(elseSegment)))
	}
	if len(values) == 0 {
		values = append(values, "(CAST(NULL AS VARCHAR))")
	}
	q.Membership = fmt.Sprintf("SELECT segrun_entity AS %s, segrun_segment AS segment%s FROM (SELECT %s FROM %s) AS segrun_matches "+
		"CROSS JOIN LATERAL (VALUES %s) AS segrun_segments(segrun_segment) WHERE segrun_segment IS NOT NULL",
		ent, carryOut, strings.Join(sel, ", "), from, strings.Join(values, ", "))
	cols := []string{"count(*) AS rows"}
	for i := range matches {
		cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE segrun_match_%d) AS matched_%d", i+1, i+1))
	}
	for i, n := range nulls {
		cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE segrun_null_%d) AS null_skipped_%d", i+1, i+1))
		sel = append(sel, n+fmt.Sprintf(" AS segrun_null_%d", i+1))
	}
	cols = append(cols, fmt.Sprintf("count(*) FILTER (WHERE %s) AS unmatched", none))
	q.Stats = fmt.Sprintf("SELECT %s FROM (SELECT %s FROM %s%s) AS segrun_rules", strings.Join(cols, ", "), strings.Join(sel[1:], ", "), from, statsFence(o.Dialect))
	if len(sel) == 1 {
		q.Stats = fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), from)
	}
	return q, nil
}

// statsFence ends the statistics' inner query on PostgreSQL with OFFSET 0, which keeps its planner from
// inlining the subquery: inlined, the CASE giving segrun_code (and each rule's NULL test) was evaluated
// again in every FILTER that reads it, twice per rule and once more; fenced, once per row
// (BENCHMARKS.md "engine postgres tuned"). DuckDB evaluates each once already.
func statsFence(d Dialect) string {
	if d == Postgres {
		return " OFFSET 0"
	}
	return ""
}

// ReadStats turns the row Stats selected into Evaluate's Stats (Seconds is the caller's to set), and the
// rows no rule matched (those the else segment took, if there is one).
func (q *SetSQL) ReadStats(row []int64) (*Stats, int64, error) {
	if len(row) != 2+2*q.rules {
		return nil, 0, fmt.Errorf("rule statistics: %d values, want %d", len(row), 2+2*q.rules)
	}
	st := &Stats{
		Matched:     slices.Clone(row[1 : 1+q.rules]),
		NullSkipped: slices.Clone(row[1+q.rules : 1+2*q.rules]),
		Evaluations: row[0] * int64(q.rules),
	}
	return st, row[len(row)-1], nil
}

// ruleSQL translates one rule: a condition that is TRUE where the rule matches and FALSE elsewhere (never
// NULL), and one that is TRUE where it reads a NULL or NaN.
func (rs *Set) ruleSQL(r compiledRule, o SQLOptions) (match, null string, err error) {
	t := rs.translator(r.When, o)
	cond, err := t.condition(r.checked)
	if err != nil {
		return "", "", err
	}
	var guards, missing []string
	for _, c := range r.reads {
		col, err := columnSQL(t.columns[rs.columns[c]])
		if err != nil {
			return "", "", err
		}
		guards = append(guards, col.text+" IS NOT NULL")
		missing = append(missing, col.text+" IS NULL")
		if col.kind == kFloat { // rules treat a NaN in the data as missing (fromArrow)
			guards = append(guards, col.text+" <> "+sqlNaN)
			missing = append(missing, col.text+" = "+sqlNaN)
		}
	}
	if len(guards) == 0 {
		return cond.text, "FALSE", nil
	}
	null = "(" + strings.Join(missing, " OR ") + ")"
	if cond.raises { // evaluate only the rows Go evaluates
		return fmt.Sprintf("(CASE WHEN %s THEN %s ELSE FALSE END)", strings.Join(guards, " AND "), cond.text), null, nil
	}
	return "(" + strings.Join(guards, " AND ") + " AND " + cond.text + ")", null, nil
}

func (rs *Set) translator(src string, o SQLOptions) *translator {
	return newTranslator(src, rs.env, o)
}

func newTranslator(src string, env *Env, o SQLOptions) *translator {
	t := &translator{dialect: o.Dialect, src: src, columns: map[string]Column{}, varsTable: o.VarsTable, vars: map[string]any{}}
	for _, cols := range [][]Column{env.Columns, env.Extra} {
		for _, c := range cols {
			if kindOf(reflect.TypeOf(ZeroValue(c.Type))) != 0 {
				t.columns[c.Name] = c
			}
		}
	}
	for _, v := range env.Vars {
		if v.Name == AsOf {
			t.asOf, _ = v.Value.(time.Time)
		} else {
			t.vars[v.Name] = v.Value
		}
	}
	return t
}

// TranslateCheck says why rule src, which compiles against env (Check), cannot run on a SQL engine of
// dialect d, at the construct's position in the rule; nil when it can. Validation calls it for the rules of
// a pipeline whose engine is not DuckDB.
func TranslateCheck(src string, env *Env, d Dialect) *Diagnostic {
	prog, err := compile(src, env, expr.Optimize(false))
	if err != nil {
		return nil // Check reports it
	}
	t := newTranslator(src, env, SQLOptions{Dialect: d, VarsTable: "segrun_vars"})
	if _, err := t.condition(prog.Node()); err != nil {
		ue, ok := err.(*UntranslatableError)
		if !ok {
			return &Diagnostic{Code: "rule.engine", Message: "rule: " + err.Error()}
		}
		return &Diagnostic{Line: ue.Line, Column: ue.Column, Code: "rule.engine", Message: "rule: " + ue.Error()}
	}
	return nil
}
