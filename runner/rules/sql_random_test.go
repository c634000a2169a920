package rules

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// ruleGen writes random, well-typed rules over the differential test's columns (sql_differential_test.go)
// from a small grammar of the constructs the SQL translation takes. Magnitudes stay where neither engine
// overflows a double (PostgreSQL raises where Go gives ±Inf: docs/engines.md), but NULLs, NaN, ±Inf, -0,
// zero divisors and ties are in the data.
type ruleGen struct{ rng *rand.Rand }

func (g *ruleGen) pick(options ...string) string { return options[g.rng.IntN(len(options))] }

func (g *ruleGen) boolean(depth int) string {
	if depth <= 0 {
		return g.pick("b", "!b", "i > 3", "f < 0.5", `s == "a"`, "dt < as_of", "big > 0", "g >= 1", "j == 0")
	}
	d := depth - 1
	switch g.rng.IntN(18) {
	case 0:
		return fmt.Sprintf("%s %s %s", g.integer(d), g.cmp(), g.integer(d))
	case 1:
		return fmt.Sprintf("%s %s %s", g.number(d), g.cmp(), g.number(d))
	case 2:
		return fmt.Sprintf("%s %s %s", g.integer(d), g.cmp(), g.number(d))
	case 3:
		return fmt.Sprintf("%s %s %s", g.text(d), g.cmp(), g.text(d))
	case 4:
		return fmt.Sprintf("%s %s %s", g.time(d), g.cmp(), g.time(d))
	case 5:
		return fmt.Sprintf(`(%s - %s) %s duration("%dh")`, g.time(d), g.time(d), g.cmp(), g.rng.IntN(2000)-1000)
	case 6:
		return fmt.Sprintf("!(%s)", g.boolean(d))
	case 7:
		return fmt.Sprintf("(%s && %s)", g.boolean(d), g.boolean(d))
	case 8:
		return fmt.Sprintf("(%s || %s)", g.boolean(d), g.boolean(d))
	case 9:
		return fmt.Sprintf("%s %s [%d, %d, %d]", g.integer(d), g.pick("in", "not in"), g.rng.IntN(10)-3, g.rng.IntN(10), g.rng.IntN(20))
	case 10:
		return fmt.Sprintf("%s in %d..%d", g.integer(d), g.rng.IntN(10)-5, g.rng.IntN(10))
	case 11:
		return fmt.Sprintf("%s %s [%s, %s]", g.text(d), g.pick("in", "not in"), g.textLiteral(), g.textLiteral())
	case 12:
		return fmt.Sprintf("%s %s %s", g.text(d), g.pick("contains", "startsWith", "endsWith"), g.text(d))
	case 13:
		return fmt.Sprintf("%s %s [0.5, %s, 1]", g.number(d), g.pick("in", "not in"), g.floatLiteral())
	case 14:
		return fmt.Sprintf("big %s %s", g.cmp(), g.pick("0", "9223372036854775807", "-9223372036854775808", "vars.n_limit", "1.5", "i"))
	case 15:
		return fmt.Sprintf("(%s ? %s : %s)", g.boolean(d), g.boolean(d), g.boolean(d))
	case 16:
		return fmt.Sprintf("%s matches %s", g.text(d), strconv.Quote(g.pick("^a", "b$", "(?i)a.", "[^a-z]", "^.{2}$", "a|é", "(ab)+", `\d|\s`, "^$", "[[:upper:]]", `\pL\PL`)))
	default:
		return fmt.Sprintf("b %s %s", g.pick("==", "!="), g.boolean(d))
	}
}

func (g *ruleGen) cmp() string { return g.pick("==", "!=", "<", "<=", ">", ">=") }

func (g *ruleGen) integer(depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		return g.pick("i", "j", strconv.Itoa(g.rng.IntN(16)-3), "vars.n_limit", "len(s)", "dt.Year()", "int(ts.Month())", "tz.Hour()")
	}
	d := depth - 1
	switch g.rng.IntN(7) {
	case 0, 1:
		return fmt.Sprintf("(%s %s %s)", g.integer(d), g.pick("+", "-", "*"), g.integer(d))
	case 2:
		return "-" + g.integer(d)
	case 3:
		return fmt.Sprintf("abs(%s)", g.integer(d))
	case 4:
		return fmt.Sprintf("(%s %% %d)", g.integer(d), g.rng.IntN(6)+1)
	case 5:
		return fmt.Sprintf("int(%s)", g.pick("g", "d"))
	default:
		return fmt.Sprintf("(%s ? %s : %s)", g.boolean(d), g.integer(d), g.integer(d))
	}
}

func (g *ruleGen) floatLiteral() string {
	return g.pick("0.5", "-1.5", "0.1", "0.0", "2.0", "0.001", "0.3", "100.25")
}

func (g *ruleGen) number(depth int) string {
	if depth <= 0 || g.rng.IntN(3) == 0 {
		return g.pick("f", "g", "d", g.floatLiteral(), "vars.ratio", "float(i)")
	}
	d := depth - 1
	switch g.rng.IntN(8) {
	case 0, 1:
		return fmt.Sprintf("(%s %s %s)", g.number(d), g.pick("+", "-", "*", "/"), g.number(d))
	case 2:
		return fmt.Sprintf("(%s %s %s)", g.number(d), g.pick("+", "-", "*", "/"), g.integer(d))
	case 3:
		return "-" + g.number(d)
	case 4:
		return fmt.Sprintf("%s(%s)", g.pick("abs", "ceil", "floor"), g.number(d))
	case 5:
		return fmt.Sprintf("(%s / %s)", g.integer(d), g.integer(d))
	default:
		return fmt.Sprintf("(%s ? %s : %s)", g.boolean(d), g.number(d), g.number(d))
	}
}

func (g *ruleGen) textLiteral() string {
	return strconv.Quote(diffStrings[g.rng.IntN(len(diffStrings))])
}

func (g *ruleGen) text(depth int) string {
	if depth <= 0 || g.rng.IntN(2) == 0 {
		return g.pick("s", "s", g.textLiteral(), "vars.region")
	}
	d := depth - 1
	if g.rng.IntN(2) == 0 {
		return fmt.Sprintf("(%s + %s)", g.text(d), g.text(d))
	}
	return fmt.Sprintf("(%s ? %s : %s)", g.boolean(d), g.text(d), g.text(d))
}

func (g *ruleGen) time(depth int) string {
	if depth <= 0 || g.rng.IntN(2) == 0 {
		return g.pick("dt", "ts", "tz", "as_of", "vars.launch", `date("2024-03-01")`)
	}
	return fmt.Sprintf(`(%s %s duration("%dh%dm"))`, g.time(depth-1), g.pick("+", "-"), g.rng.IntN(100), g.rng.IntN(60))
}

// TestRandomRulesOnEnginesEqualGo runs random rule sets, first-match and multi, with and without else.
func TestRandomRulesOnEnginesEqualGo(t *testing.T) {
	e := loadEngines(t, diffRows(500, 2))
	env := diffEnv()
	g := &ruleGen{rng: rand.New(rand.NewPCG(7, 11))}
	sets, rules, translated := 0, 0, 0
	for sets < 40 {
		c := diffRule{multi: sets%2 == 1}
		if g.rng.IntN(2) == 0 {
			c.else_ = "rest"
		}
		for len(c.rules) < 5 {
			w := g.boolean(1 + g.rng.IntN(3))
			if d := Check(w, "segrun_input", env); d != nil {
				continue // the grammar's occasional ill-typed rule (a conditional of mixed kinds)
			}
			if d := TranslateCheck(w, env, Postgres); d != nil {
				t.Errorf("%q: %s", w, d.Message)
				continue
			}
			c.rules = append(c.rules, w)
		}
		sets++
		rules += len(c.rules)
		if runDifferential(t, e, env, c) {
			translated++
		}
	}
	t.Logf("%d random rule sets (%d rules) compared on DuckDB and PostgreSQL", sets, rules)
}
