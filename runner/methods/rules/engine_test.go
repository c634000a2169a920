package rules

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/runner/methods"
	engine "github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// runEnv is the part of a run's methods.Env ApplyOnEngine uses.
type runEnv struct {
	methods.Env
	report  methods.Report
	version store.Version
}

func (e *runEnv) Name() string            { return "segs" }
func (e *runEnv) Entity() string          { return "customer_id" }
func (e *runEnv) Report() *methods.Report { return &e.report }
func (e *runEnv) Version() *store.Version { return &e.version }

func TestApplyOnEngineWritesMembershipsAndReport(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, `CREATE TABLE scored AS SELECT * FROM (VALUES (1, 5, 10.0), (2, NULL, 3.0), (3, 1, NULL), (4, 2, 1.0)) AS t(customer_id, r_score, spend)`); err != nil {
		t.Fatal(err)
	}
	env := engine.Env{Columns: []engine.Column{{Name: "r_score", Type: "INTEGER"}, {Name: "spend", Type: "DECIMAL(10,1)"}},
		Vars: []engine.Var{{Name: engine.AsOf, Value: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	rs, err := Compile([]spec.Rule{{Segment: "top", When: "r_score >= 5"}, {Segment: "spender", When: "spend > 2"}}, "rest", false, &env)
	if err != nil {
		t.Fatal(err)
	}
	run := &runEnv{}
	if err := ApplyOnEngine(ctx, db, run, rs, "scored", []string{"r_score"}, engine.SQLOptions{Dialect: engine.DuckDB}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, "SELECT customer_id, segment, r_score FROM segs ORDER BY customer_id")
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := sql.ScanAll(rows)
	if err != nil {
		t.Fatal(err)
	}
	// 2 has no r_score: rule 1 skips it, rule 2 takes it; 3 has no spend: rule 2 skips it, else takes it.
	if want := "[[1 top 5] [2 spender <nil>] [3 rest 1] [4 rest 2]]"; fmt.Sprint(got) != want {
		t.Errorf("memberships %v, want %s", got, want)
	}
	r := run.report.Rules
	if len(r) != 2 || r[0].Matched != 1 || r[0].NullSkipped != 1 || r[1].Matched != 1 || r[1].NullSkipped != 1 || r[0].Kernel {
		t.Errorf("rule reports %+v", r)
	}
	if run.report.RuleEvaluations != 8 || fmt.Sprint(run.version.Segments) != "[rest spender top]" {
		t.Errorf("evaluations %d, segments %v", run.report.RuleEvaluations, run.version.Segments)
	}
}

func TestApplyOnEngineMultiCarries(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Exec(ctx, `CREATE TABLE scored AS SELECT * FROM (VALUES (1, 5), (2, NULL), (3, 1)) AS t(customer_id, r_score)`); err != nil {
		t.Fatal(err)
	}
	env := engine.Env{Columns: []engine.Column{{Name: "r_score", Type: "INTEGER"}},
		Vars: []engine.Var{{Name: engine.AsOf, Value: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	rs, err := Compile([]spec.Rule{{Segment: "top", When: "r_score >= 5"}, {Segment: "odd", When: "r_score % 2 == 1"}}, "rest", true, &env)
	if err != nil {
		t.Fatal(err)
	}
	run := &runEnv{}
	if err := ApplyOnEngine(ctx, db, run, rs, "scored", []string{"r_score"}, engine.SQLOptions{Dialect: engine.DuckDB}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, "SELECT customer_id, segment, r_score FROM segs ORDER BY customer_id, segment")
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := sql.ScanAll(rows)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[[1 odd 5] [1 top 5] [2 rest <nil>] [3 odd 1]]"; fmt.Sprint(got) != want {
		t.Errorf("memberships %v, want %s", got, want)
	}
	if r := run.report.Rules; r[0].Matched != 1 || r[1].Matched != 2 || r[0].NullSkipped != 1 || r[1].NullSkipped != 1 {
		t.Errorf("rule reports %+v", r)
	}
}

// checkEnv is the part of validation's methods.CheckEnv CheckOnEngine uses, recording the errors.
type checkEnv struct {
	methods.CheckEnv
	seg    spec.Segmentation
	errors []string
}

func (e *checkEnv) Pointer() string                 { return "/segmentations/segs" }
func (e *checkEnv) Segmentation() spec.Segmentation { return e.seg }
func (e *checkEnv) IsBroken(string) bool            { return false }
func (e *checkEnv) ErrorAt(at, code, msg, _ string) { e.errors = append(e.errors, at+" "+code+" "+msg) }
func (e *checkEnv) ErrorAtScalar(at string, line, col int, code, msg, _ string) {
	e.errors = append(e.errors, fmt.Sprintf("%s:%d:%d %s %s", at, line, col, code, msg))
}

func TestCheckOnEngineReportsUntranslatableRulesAtTheirPosition(t *testing.T) {
	env := &checkEnv{seg: spec.Segmentation{From: "customers", Rules: []spec.Rule{
		{Segment: "ok", When: `country == "GB"`},
		{Segment: "regex", When: `country matches "^G\\b"`},
		{Segment: "broken", When: `nope > 1`}, // Check's to report, not this
	}}}
	ruleEnv := &engine.Env{Columns: []engine.Column{{Name: "country", Type: "VARCHAR"}},
		Vars: []engine.Var{{Name: engine.AsOf, Value: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	CheckOnEngine(env, ruleEnv, engine.Postgres)
	want := `/segmentations/segs/rules/1/when:1:17 rule.engine rule: the pattern "^G\\b" cannot run on PostgreSQL: word boundaries`
	if len(env.errors) != 1 || !strings.HasPrefix(env.errors[0], want) {
		t.Errorf("errors %q, want one starting %q", env.errors, want)
	}
	env.errors = nil
	CheckOnEngine(env, ruleEnv, engine.DuckDB)
	if len(env.errors) != 1 { // word boundaries differ on DuckDB too
		t.Errorf("DuckDB: %q", env.errors)
	}
}
