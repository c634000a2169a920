package rules

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/algorithms"
)

func TestTranslateCheckNamesTheConstructAtItsPosition(t *testing.T) {
	env := diffEnv()
	for _, c := range []struct {
		rule      string
		dialect   Dialect
		line, col int
		words     string
	}{
		{`i > 3 && s matches "^a\\b"`, Postgres, 1, 20, `the pattern "^a\\b" cannot run on PostgreSQL: word boundaries`},
		{`i > 3 && s matches vars.region`, Postgres, 1, 12, "the matches operator with a pattern that is not a constant"},
		{"i > 3 &&\n  lower(s) == \"a\"", Postgres, 2, 3, "the function lower cannot run on PostgreSQL"},
		{`g ** 2 > 3`, DuckDB, 1, 3, "the power operator ** cannot run on DuckDB"},
		{`int(g * 2) > 3`, Postgres, 1, 1, "int() of a computed number"},
		{`i > 0 ? g > 1 : i`, Postgres, 1, 17, `the conditional "i > 0 ? g > 1 : i"`},
		{`i > "a"`, Postgres, 0, 0, ""}, // does not compile: Check's to report
	} {
		d := TranslateCheck(c.rule, env, c.dialect)
		if c.words == "" {
			if d != nil {
				t.Errorf("%q: %+v, want nothing (the rule does not compile)", c.rule, d)
			}
			continue
		}
		if d == nil {
			t.Errorf("%q: translated, want %q", c.rule, c.words)
			continue
		}
		if d.Line != c.line || d.Column != c.col || !strings.Contains(d.Message, c.words) || d.Code != "rule.engine" {
			t.Errorf("%q: %d:%d %s %q, want %d:%d containing %q", c.rule, d.Line, d.Column, d.Code, d.Message, c.line, c.col, c.words)
		}
	}
	for _, ok := range []string{`lower(s) == "a"`, `i > 3 && s contains "a"`, `as_of - dt < duration("24h")`} {
		if d := TranslateCheck(ok, env, DuckDB); d != nil {
			t.Errorf("%q on DuckDB: %+v", ok, d)
		}
	}
}

// Vars and as_of reach the engine as bound values read from the vars table, never as text in the SQL.
func TestSQLReadsVarsFromTheVarsTable(t *testing.T) {
	rs, err := Compile([]Rule{
		{Segment: "a", When: `s == vars.region && i >= vars.n_limit && g > vars.ratio`},
		{Segment: "b", When: `dt >= vars.launch && as_of - dt < duration("720h") && b == vars.flag`},
	}, "rest", false, diffEnv())
	if err != nil {
		t.Fatal(err)
	}
	q, err := rs.SQL("input", "id", SQLOptions{Dialect: Postgres, VarsTable: "segrun_vars"})
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []string{`(SELECT "region" FROM segrun_vars)`, `(SELECT "n_limit" FROM segrun_vars)`, `(SELECT "ratio" FROM segrun_vars)`,
		`(SELECT "launch" FROM segrun_vars)`, `(SELECT "as_of" FROM segrun_vars)`, `(SELECT "flag" FROM segrun_vars)`} {
		if !strings.Contains(q.Membership, read) || !strings.Contains(q.Stats, read) {
			t.Errorf("the SQL does not read %s:\n%s", read, q.Membership)
		}
	}
	for _, pasted := range []string{"'é'", "2024-03-01", "2024-06-30", "0.5"} {
		if strings.Contains(q.Membership, pasted) || strings.Contains(q.Stats, pasted) {
			t.Errorf("a var's value %s is pasted into the SQL:\n%s", pasted, q.Membership)
		}
	}
	lit, err := rs.SQL("input", "id", SQLOptions{Dialect: DuckDB})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(lit.Membership, "segrun_vars") || !strings.Contains(lit.Membership, "'é'") {
		t.Errorf("the literal form reads the vars table or lacks a value:\n%s", lit.Membership)
	}
}

func TestSQLNamesTheUntranslatableRule(t *testing.T) {
	rs, err := Compile([]Rule{{Segment: "ok", When: "i > 1"}, {Segment: "regex", When: `s matches "a+\\b"`}}, "", false, diffEnv())
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.SQL("input", "id", SQLOptions{Dialect: Postgres})
	want := `rule 2 (regex): the pattern "a+\\b" cannot run on PostgreSQL`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want %q...", err, want)
	}
}

// RFM's default grid is rules over r_score, f_score and m_score (Env.Extra): every bin count translates.
func TestRFMGridTranslates(t *testing.T) {
	env := &Env{Columns: colsOf("customer_id BIGINT"), Extra: colsOf("r_score BIGINT", "f_score BIGINT", "m_score BIGINT"), Vars: diffVars()}
	for bins := 2; bins <= 10; bins++ {
		grid, err := algorithms.RFMGridFor(bins)
		if err != nil {
			t.Fatal(err)
		}
		var list []Rule
		for _, g := range grid {
			list = append(list, Rule{Segment: g.Segment, When: g.Rule()})
		}
		rs, err := Compile(list, "", false, env)
		if err != nil {
			t.Fatal(err)
		}
		q, err := rs.SQL("scored", "customer_id", SQLOptions{Dialect: Postgres, VarsTable: "segrun_vars", Carry: []string{"r_score", "f_score", "m_score"}})
		if err != nil {
			t.Fatalf("bins %d: %v", bins, err)
		}
		if !strings.Contains(q.Membership, `"r_score" IS NOT NULL AND "f_score" IS NOT NULL AND "m_score" IS NOT NULL`) {
			t.Errorf("bins %d: the scores are not guarded:\n%s", bins, q.Membership)
		}
	}
}

// PostgreSQL's unbounded numeric (sql/postgres reports it as NUMERIC) is read as a double, and may be
// NaN, which a rule treats as missing.
func TestNumericReadsAsANumber(t *testing.T) {
	env := &Env{Columns: colsOf("n NUMERIC"), Vars: diffVars()}
	rs, err := Compile([]Rule{{Segment: "big", When: "n > 1.5"}}, "", false, env)
	if err != nil {
		t.Fatal(err)
	}
	q, err := rs.SQL("input", "id", SQLOptions{Dialect: Postgres})
	if err != nil {
		t.Fatal(err)
	}
	if want := `CAST("n" AS DOUBLE PRECISION) <> CAST('NaN' AS DOUBLE PRECISION)`; !strings.Contains(q.Membership, want) {
		t.Errorf("want %s in\n%s", want, q.Membership)
	}
}
