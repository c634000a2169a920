package rules

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
)

// The differential tests run rule sets three ways over the same generated rows — Go's rule engine (Evaluate),
// the translated SQL on DuckDB, and on PostgreSQL — and require the same memberships and the same statistics
// (matches, NULL skips and unmatched rows per rule), or a failure on every engine where Go fails.

// diffColumns are the generated input's columns, as DuckDB types them (what rules compile against) and as
// PostgreSQL does.
var diffColumns = []struct{ name, duck, pg string }{
	{"id", "BIGINT", "bigint"},
	{"i", "BIGINT", "bigint"},           // small integers, used in arithmetic
	{"j", "INTEGER", "integer"},         // small, often 0: divisors
	{"big", "BIGINT", "bigint"},         // the 64-bit extremes, compared only
	{"f", "DOUBLE", "double precision"}, // NaN, ±Inf, -0, ties
	{"g", "DOUBLE", "double precision"}, // finite, moderate: arithmetic and int()
	{"d", "DECIMAL(18,2)", "numeric(18,2)"},
	{"s", "VARCHAR", `text COLLATE segrun_ci`}, // case-insensitive: neither equal nor ordered by bytes
	{"b", "BOOLEAN", "boolean"},
	{"dt", "DATE", "date"},
	{"ts", "TIMESTAMP", "timestamp"},
	{"tz", "TIMESTAMP WITH TIME ZONE", "timestamp with time zone"},
}

var diffStrings = []string{"", "a", "A", "ab", "abc", "b", "Z", "z", "é", "É", "ä", "日本", "日", "ab'c", " a", "a ", "x%_", `back\slash`, "ß", "İ", "e\u0301", "a\u00a0b", "\u212a", "K", "a\nb", "abc\n", "[]-^", "\\", "a.c", "aac", "bb", "abab", "ababc"}

var diffAsOf = time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)

func diffVars() []Var {
	return []Var{{Name: AsOf, Value: diffAsOf}, {Name: "n_limit", Value: 10}, {Name: "ratio", Value: 0.5},
		{Name: "region", Value: "é"}, {Name: "flag", Value: true}, {Name: "launch", Value: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}}
}

func diffEnv() *Env {
	env := &Env{Vars: diffVars()}
	for _, c := range diffColumns[1:] {
		env.Columns = append(env.Columns, Column{Name: c.name, Type: c.duck})
	}
	return env
}

// diffRows generates n rows: edge values, ties and NULLs in every column.
func diffRows(n int, seed uint64) [][]any {
	rng := rand.New(rand.NewPCG(seed, 17))
	pick := func(vals ...any) any {
		if rng.IntN(7) == 0 {
			return nil
		}
		return vals[rng.IntN(len(vals))]
	}
	day := func() time.Time { return time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(730)) }
	rows := make([][]any, n)
	for r := range rows {
		ts := day().Add(time.Duration(rng.IntN(86400_000_000)) * time.Microsecond)
		rows[r] = []any{
			int64(r + 1),
			pick(int64(rng.IntN(41)-20), int64(0), int64(1), int64(3), int64(10)),
			pick(int32(rng.IntN(7)-3), int32(0), int32(0), int32(1), int32(2)),
			pick(int64(math.MaxInt64), int64(math.MinInt64), int64(0), int64(-1), int64(1)<<53+1, rng.Int64()),
			pick(rng.Float64()*200-100, 0.0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 0.5, 1.0, 2.5, -1.5, 1e6, 1e-3, 0.1+0.2, 0.3),
			pick(rng.Float64()*20-10, 0.0, 2.5, -2.5, 1.0, 0.1, 3.0),
			pick(fmt.Sprintf("%.2f", rng.Float64()*400-200), "12.34", "0.00", "-0.01", "100.00", "0.30"),
			pick(stringsOf(diffStrings)...),
			pick(true, false),
			pick(day(), time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)),
			pick(ts, diffAsOf, diffAsOf.Add(-time.Microsecond)),
			pick(ts.Add(7*time.Hour), diffAsOf, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		}
	}
	return rows
}

func stringsOf(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// diffRule is a rule set to run three ways.
type diffRule struct {
	rules []string
	multi bool
	else_ string
	// untranslatable names the dialects that must refuse it, with a word of the message.
	untranslatable map[Dialect]string
}

// engines are the databases the SQL runs on, loaded with the same rows.
type engines struct {
	duck *sql.DB
	pg   *pgx.Conn
}

func loadEngines(t *testing.T, rows [][]any) *engines {
	t.Helper()
	ctx := context.Background()
	duck, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { duck.Close() })
	var duckDefs, pgDefs, duckParams, pgParams []string
	for i, c := range diffColumns {
		duckDefs = append(duckDefs, quoteIdent(c.name)+" "+c.duck)
		pgDefs = append(pgDefs, quoteIdent(c.name)+" "+c.pg)
		duckParams = append(duckParams, fmt.Sprintf("CAST(? AS %s)", c.duck))
		typ, _, _ := strings.Cut(c.pg, " COLLATE ")
		pgParams = append(pgParams, fmt.Sprintf("CAST($%d AS %s)", i+1, typ))
	}
	pgParams[6] = "CAST(CAST($7 AS text) AS numeric(18,2))"
	if err := duck.Exec(ctx, "CREATE TABLE segrun_input ("+strings.Join(duckDefs, ", ")+")"); err != nil {
		t.Fatal(err)
	}
	ins := "INSERT INTO segrun_input VALUES (" + strings.Join(duckParams, ", ") + ")"
	for _, r := range rows {
		if err := duck.Exec(ctx, ins, r...); err != nil {
			t.Fatalf("%v: %v", r, err)
		}
	}
	vars := "CREATE TABLE segrun_vars AS SELECT CAST('2024-06-30' AS DATE) AS as_of, CAST(10 AS BIGINT) AS n_limit, " +
		"CAST(0.5 AS DOUBLE PRECISION) AS ratio, CAST('é' AS VARCHAR) AS region, TRUE AS flag, CAST('2024-03-01' AS DATE) AS launch"
	if err := duck.Exec(ctx, vars); err != nil {
		t.Fatal(err)
	}
	e := &engines{duck: duck}
	server := pgtest.New(t)
	pg, err := pgx.Connect(ctx, server.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close(context.Background()) })
	// A session time zone far from UTC: times must not depend on it.
	for _, q := range []string{"SET TimeZone = 'Pacific/Kiritimati'",
		"CREATE COLLATION segrun_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)", "CREATE TABLE segrun_input (" + strings.Join(pgDefs, ", ") + ")", vars} {
		if _, err := pg.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	batch := &pgx.Batch{}
	for _, r := range rows {
		batch.Queue("INSERT INTO segrun_input VALUES ("+strings.Join(pgParams, ", ")+")", r...)
	}
	if err := pg.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatal(err)
	}
	e.pg = pg
	return e
}

// outcome is what a rule set gave: each entity's segments (sorted), the statistics, or the failure.
type outcome struct {
	members   map[int64][]string
	matched   []int64
	skipped   []int64
	unmatched int64
	err       error
}

func (o *outcome) String() string {
	if o.err != nil {
		return "error: " + o.err.Error()
	}
	return fmt.Sprintf("%d members, matched %v, null skipped %v, unmatched %d", len(o.members), o.matched, o.skipped, o.unmatched)
}

// goOutcome evaluates rs with Go's engine over the DuckDB table.
func goOutcome(t *testing.T, db *sql.DB, rs *Set) *outcome {
	t.Helper()
	cols := []string{"id"}
	for _, c := range rs.Columns() {
		cols = append(cols, quoteIdent(c))
	}
	var batches []arrow.RecordBatch
	err := db.WithArrow(context.Background(), func(a *sql.Arrow) error {
		r, err := a.Query("SELECT " + strings.Join(cols, ", ") + " FROM segrun_input ORDER BY id")
		if err != nil {
			return err
		}
		defer r.Release()
		for r.Next() {
			rec := r.RecordBatch()
			rec.Retain()
			batches = append(batches, rec)
		}
		return r.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	pos := make([]int, len(rs.Columns()))
	for i := range pos {
		pos[i] = i + 1
	}
	results, stats, err := rs.Evaluate(context.Background(), batches, pos, 2)
	if err != nil {
		return &outcome{err: err}
	}
	o := &outcome{members: map[int64][]string{}, matched: stats.Matched, skipped: stats.NullSkipped}
	segs := rs.Segments()
	elseSeg, hasElse := rs.Else()
	for bi, res := range results {
		ids := batches[bi].Column(0)
		for row := 0; row < ids.Len(); row++ {
			id := ids.GetOneForMarshal(row).(int64)
			if rs.Multi() {
				set := res.Sets[row]
				if set == 0 {
					o.unmatched++
					if hasElse {
						o.members[id] = []string{elseSeg}
					}
					continue
				}
				for ri, r := range rs.Rules() {
					if set&(1<<ri) != 0 {
						o.members[id] = append(o.members[id], r.Segment)
					}
				}
				continue
			}
			code := res.Codes[row]
			if code < 0 || (hasElse && int(code) == len(segs)-1) {
				o.unmatched++
			}
			if code >= 0 {
				o.members[id] = []string{segs[code]}
			}
		}
	}
	for _, m := range o.members {
		slices.Sort(m)
	}
	return o
}

// sqlOutcome runs the translated SQL through query, which returns rows of (entity, segment) or of counts.
func sqlOutcome(q *SetSQL, members func(string) (map[int64][]string, error), counts func(string) ([]int64, error)) *outcome {
	m, err := members(q.Membership)
	if err != nil {
		return &outcome{err: err}
	}
	row, err := counts(q.Stats)
	if err != nil {
		return &outcome{err: err}
	}
	st, unmatched, err := q.ReadStats(row)
	if err != nil {
		return &outcome{err: err}
	}
	for _, s := range m {
		slices.Sort(s)
	}
	return &outcome{members: m, matched: st.Matched, skipped: st.NullSkipped, unmatched: unmatched}
}

func duckMembers(db *sql.DB) func(string) (map[int64][]string, error) {
	return func(q string) (map[int64][]string, error) {
		rows, err := db.Query(context.Background(), q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64][]string{}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				return nil, err
			}
			out[id] = append(out[id], s)
		}
		return out, rows.Err()
	}
}

func duckCounts(db *sql.DB) func(string) ([]int64, error) {
	return func(q string) ([]int64, error) {
		rows, err := db.Query(context.Background(), q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]int64, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if !rows.Next() {
			return nil, fmt.Errorf("no statistics row: %v", rows.Err())
		}
		return vals, rows.Scan(ptrs...)
	}
}

func pgMembers(pg *pgx.Conn) func(string) (map[int64][]string, error) {
	return func(q string) (map[int64][]string, error) {
		rows, err := pg.Query(context.Background(), q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[int64][]string{}
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				return nil, err
			}
			out[id] = append(out[id], s)
		}
		return out, rows.Err()
	}
}

func pgCounts(pg *pgx.Conn) func(string) ([]int64, error) {
	return func(q string) ([]int64, error) {
		rows, err := pg.Query(context.Background(), q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		if !rows.Next() {
			return nil, fmt.Errorf("no statistics row: %v", rows.Err())
		}
		vals, err := rows.Values()
		if err != nil {
			return nil, err
		}
		out := make([]int64, len(vals))
		for i, v := range vals {
			out[i] = v.(int64)
		}
		return out, nil
	}
}

// same compares two outcomes, naming the first difference.
func same(want, got *outcome) string {
	if (want.err != nil) != (got.err != nil) {
		return fmt.Sprintf("go: %v; sql: %v", want, got)
	}
	if want.err != nil {
		return ""
	}
	if !slices.Equal(want.matched, got.matched) || !slices.Equal(want.skipped, got.skipped) || want.unmatched != got.unmatched {
		return fmt.Sprintf("statistics differ:\n go: %v\nsql: %v", want, got)
	}
	for id, segs := range want.members {
		if !slices.Equal(segs, got.members[id]) {
			return fmt.Sprintf("entity %d: go %v, sql %v", id, segs, got.members[id])
		}
	}
	for id, segs := range got.members {
		if _, ok := want.members[id]; !ok {
			return fmt.Sprintf("entity %d: go none, sql %v", id, segs)
		}
	}
	return ""
}

// runDifferential runs one rule set three ways (DuckDB twice: vars from the table and pasted).
func runDifferential(t *testing.T, e *engines, env *Env, c diffRule) (translated bool) {
	t.Helper()
	list := make([]Rule, len(c.rules))
	for i, w := range c.rules {
		list[i] = Rule{Segment: fmt.Sprintf("s%d", i+1), When: w}
	}
	rs, err := Compile(list, c.else_, c.multi, env)
	if err != nil {
		t.Fatalf("%v: %v", c.rules, err)
	}
	want := goOutcome(t, e.duck, rs)
	for _, run := range []struct {
		o       SQLOptions
		members func(string) (map[int64][]string, error)
		counts  func(string) ([]int64, error)
	}{
		{SQLOptions{Dialect: DuckDB, VarsTable: "segrun_vars"}, duckMembers(e.duck), duckCounts(e.duck)},
		{SQLOptions{Dialect: DuckDB}, duckMembers(e.duck), duckCounts(e.duck)},
		{SQLOptions{Dialect: Postgres, VarsTable: "segrun_vars"}, pgMembers(e.pg), pgCounts(e.pg)},
	} {
		q, err := rs.SQL("segrun_input", "id", run.o)
		if word, ok := c.untranslatable[run.o.Dialect]; ok {
			if err == nil || !strings.Contains(err.Error(), word) {
				t.Errorf("%s %q: want untranslatable (%q), got %v", run.o.Dialect, c.rules, word, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", run.o.Dialect, c.rules, err)
			continue
		}
		translated = true
		got := sqlOutcome(q, run.members, run.counts)
		if d := same(want, got); d != "" {
			t.Errorf("%s (vars table %q) %q multi=%v else=%q:\n%s\nmembership: %s\nstats: %s", run.o.Dialect, run.o.VarsTable, c.rules, c.multi, c.else_, d, q.Membership, q.Stats)
		}
	}
	return translated
}

// diffCases are rule sets covering each construct the translation takes (and some it refuses).
var diffCases = []diffRule{
	{rules: []string{"i > 10", "i >= vars.n_limit && j < 1", "big > 0"}, else_: "rest"},
	{rules: []string{"i > 10", "j == 0", "f > 0.5"}, multi: true, else_: "rest"},
	{rules: []string{"f > 0.5", "f == 0.0", "f < 0", "f != 1"}},
	{rules: []string{"f / j > 1", "f / j < -1", "f / f != 1", "g / j == 0", "g / f > 0", "1 / -g < 0", "i / f >= 0"}, multi: true},
	{rules: []string{"(f - f) == 0", "f * 0 != 0", "f + g > 3", "-f < 2", "abs(f) < 1"}, multi: true},
	{rules: []string{"0.1 + 0.2 == 0.3", "f == 0.30000000000000004", "d == 12.34", "d > 100", "d == 0.3", "g == 0.1"}, multi: true},
	{rules: []string{`s == ""`, `s contains "a"`, `s startsWith "é"`, `s endsWith "c"`, `s < "b"`, `s >= "Z"`, `s > "日"`}, multi: true, else_: "none"},
	{rules: []string{`s in ["a", "é", ""]`, `s not in ["a", "b"]`, `len(s) > 2`, `s + "x" == "ax"`, `s == vars.region`, `s contains "%"`}, multi: true},
	{rules: []string{"i in [1, 2, 3]", "i in 1..5", "g in [1, 2.5]", "j in [0.0, 1]", "i not in [0, 10]", "f in [0.5, 1]", "f not in [0.5]"}, multi: true},
	{rules: []string{"b", "!b", "b == vars.flag", "not b && i > 0", "b != (i > 3)"}, multi: true},
	{rules: []string{"dt >= vars.launch", `as_of - dt <= duration("720h")`, "ts < as_of", `tz > date("2024-01-01")`, `ts - duration("48h") > dt`, "tz == as_of", "ts >= tz"}, multi: true},
	{rules: []string{"dt.Year() == 2024", "int(dt.Month()) <= 3", "int(tz.Weekday()) == 0", "ts.Hour() >= 12", "tz.Day() == 1", "ts.YearDay() > 300"}, multi: true},
	{rules: []string{"i % 3 == 0", "j != 0 && i % j == 1", "j == 0 || i % j == 0"}, multi: true},
	{rules: []string{"i % j == 1"}}, // a zero divisor fails the run everywhere
	{rules: []string{"abs(i) > 15", "int(g) == 2", "float(i) / 2 > 3.5", "i / 2 == 2.5", "ceil(g) == 3", "floor(g) == -3"}, multi: true},
	{rules: []string{`i > 0 ? g > 1 : s == "a"`, "-i > 5", "not (i > 3)", "i * j > 10", "i + j - 3 < 0", "g * 2 > i", "vars.ratio * g > 1"}, else_: "rest"},
	{rules: []string{"big == 9223372036854775807", "big < -9223372036854775807", "big > vars.n_limit", "big == 9007199254740993", "big > 1.5"}, multi: true},
	{rules: []string{"true", "i > 0"}, else_: "rest"},
	{rules: []string{"i > 0 && f > 0", "i < 0 || g < 0", "s != \"a\" && b"}, else_: "rest"},
	{rules: []string{"i > 0 && f > 0", "i < 0 || g < 0", "s != \"a\" && b"}, multi: true, else_: "rest"},
	{rules: []string{`lower(s) == "a"`, `upper(s) == "É"`}, multi: true, untranslatable: map[Dialect]string{Postgres: "the function lower"}},
	{rules: []string{`s matches "^a"`, `s matches "a$"`, `s matches "^$"`, `s matches "é"`, `s matches "(?i)é"`, `s matches "(?i)k"`,
		`s matches "[a-c]+"`, `s matches "[^a]"`, `s matches "a|日"`, `s matches "^.$"`, `s matches "^..$"`, `s matches "(?s)^.+$"`, `s matches "^a.b$"`, `s matches "(?s)^a.b$"`}, multi: true},
	{rules: []string{`s matches "\\d"`, `s matches "\\w+"`, `s matches "\\s"`, `s matches "x%_"`, `s matches "\\\\"`, `s matches "b{2}|a{1,2}c"`,
		`s matches "^(ab)*c?$"`, `s matches "'"`, `s matches "[[:alpha:]]"`, `s matches "\\pL"`, `s matches "[^\\x00-\\x7F]"`, `s matches "a.c"`,
		`s matches "\\."`, `s matches "(?i)SS|ß"`, `s matches "[\\]\\-^]"`, `s matches "\\x{A0}"`}, multi: true},
	{rules: []string{`s matches "\\bab"`}, untranslatable: map[Dialect]string{DuckDB: "word boundaries", Postgres: "word boundaries"}},
	{rules: []string{`s matches "(?m)^b"`}, untranslatable: map[Dialect]string{DuckDB: "line anchors", Postgres: "line anchors"}},
	{rules: []string{`g ** 2 > 3`}, untranslatable: map[Dialect]string{DuckDB: "power", Postgres: "power"}},
}

func TestRulesOnEnginesEqualGo(t *testing.T) {
	e := loadEngines(t, diffRows(800, 1))
	env := diffEnv()
	for _, c := range diffCases {
		runDifferential(t, e, env, c)
	}
}
