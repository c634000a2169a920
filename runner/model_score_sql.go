package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/sql"
)

// Scoring a fitted model as SQL, so that on an engine (engine postgres) no per-entity score crosses the
// network: the stored encoding and fit become arithmetic the engine runs over the score table, giving the
// entity, <model>_class (classifiers), <model>_score and <model>_decile, as writeModelTable does in Go.
// The SQL repeats Go's floating-point operations in Go's order, so what Go computes exactly SQL computes
// to the same bits:
//
//   - the encoding: a number (a boolean as 0/1) (x - mean) / sd, 0 when missing (NULL or NaN); a text
//     level 1 when the value (or "(missing)" for NULL) equals it, else 0; stored doubles are written as
//     their shortest decimal, which parses back to the same double.
//   - linear: intercept, then + coef * x column by column (LinearFit.Predict).
//   - logistic: the dot product in the order of gonum's amd64 kernel (four partial sums, the tail on the
//     first; dotSQL), then + intercept; the sigmoid and softmax through the engine's exp().
//   - trees: nested CASE on x <= threshold to the leaf; boosted trees: the baseline, then + each tree's
//     leaf value in tree order (BoostFit.Raw), then the sigmoid or softmax.
//   - the class: the first class of highest probability; a binary model's score is the second class's
//     probability, a multiclass one's the highest probability; the decile by score descending, ties in
//     entity order (Deciles over rows read in entity order).
//
// What can differ is exp(): the engine's C library and Go's math.Exp may round the last bit differently,
// so a logistic or boosted classifier's probability may differ from Go's by an ulp or so (the class and
// the decile only if two entities' scores fall within that ulp). Everything else is the same bits.

// boostTreesPerLayer is how many boosting iterations one layer of the scoring query adds (a variable for
// the tests, which make it small to check the layers add up as one would).
var boostTreesPerLayer = 256

// sqlFloat is a double as a SQL literal that reads back as the same double on DuckDB and PostgreSQL.
func sqlFloat(v float64) string {
	var s string
	switch {
	case math.IsNaN(v):
		s = "NaN"
	case math.IsInf(v, 1):
		s = "Infinity"
	case math.IsInf(v, -1):
		s = "-Infinity"
	default:
		s = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return "CAST('" + s + "' AS DOUBLE PRECISION)"
}

// designSQL are the design matrix's columns as SQL over the score table's columns, in the encoder's order.
func designSQL(enc *algorithms.Encoder, kinds map[string]string) []string {
	var out []string
	for _, f := range enc.Features {
		col := sql.Ident(f.Name)
		if f.Text {
			level := "COALESCE(CAST(" + col + " AS VARCHAR), " + sql.Literal(algorithms.MissingLevel) + ")"
			for _, l := range f.Levels {
				out = append(out, fmt.Sprintf("CASE WHEN %s = %s THEN %s ELSE %s END", level, sql.Literal(l), sqlFloat(1), sqlFloat(0)))
			}
			continue
		}
		v := "CAST(" + col + " AS DOUBLE PRECISION)"
		if kinds[f.Name] == colBool {
			v = "CAST(CAST(" + col + " AS INTEGER) AS DOUBLE PRECISION)"
		}
		out = append(out, fmt.Sprintf("CASE WHEN %[1]s IS NULL OR %[1]s = %[2]s THEN %[3]s ELSE (%[1]s - %[4]s) / %[5]s END",
			v, sqlFloat(math.NaN()), sqlFloat(0), sqlFloat(f.Mean), sqlFloat(f.SD)))
	}
	return out
}

// designCol names design column j in the scoring query.
func designCol(j int) string { return fmt.Sprintf("segrun_x%d", j) }

// dotSQL is sum_j coef[j] * x_j summed as gonum's floats.Dot does on amd64 (internal/asm/f64,
// DotUnitary): four partial sums over blocks of four, the one to three left over added to the first,
// then (s0 + s2) + (s1 + s3).
func dotSQL(coef []float64) string {
	n := len(coef)
	term := func(j int) string { return "(" + designCol(j) + " * " + sqlFloat(coef[j]) + ")" }
	part := [4]string{sqlFloat(0), sqlFloat(0), sqlFloat(0), sqlFloat(0)}
	blocks := n / 4 * 4
	for j := 0; j < blocks; j++ {
		part[j%4] = "(" + part[j%4] + " + " + term(j) + ")"
	}
	for j := blocks; j < n; j++ {
		part[0] = "(" + part[0] + " + " + term(j) + ")"
	}
	return fmt.Sprintf("((%s + %s) + (%s + %s))", part[0], part[2], part[1], part[3])
}

// treeSQL is a tree's CASE over the design columns, leaf giving each leaf's SQL.
func treeSQL(column func(n int) (col int, thr float64, left, right int), n int, leaf func(n int) string) string {
	c, thr, l, r := column(n)
	if l < 0 {
		return leaf(n)
	}
	return fmt.Sprintf("CASE WHEN %s <= %s THEN %s ELSE %s END", designCol(c), sqlFloat(thr), treeSQL(column, l, leaf), treeSQL(column, r, leaf))
}

func treeNodes(nodes []algorithms.TreeNode) func(int) (int, float64, int, int) {
	return func(n int) (int, float64, int, int) {
		return nodes[n].Column, nodes[n].Threshold, nodes[n].Left, nodes[n].Right
	}
}

func boostNodes(nodes []algorithms.BoostNode) func(int) (int, float64, int, int) {
	return func(n int) (int, float64, int, int) {
		return nodes[n].Column, nodes[n].Threshold, nodes[n].Left, nodes[n].Right
	}
}

// sigmoidSQL is algorithms' sigmoid of the column z.
func sigmoidSQL(z string) string {
	return fmt.Sprintf("CASE WHEN %[1]s >= 0 THEN 1 / (1 + exp(-%[1]s)) ELSE exp(%[1]s) / (1 + exp(%[1]s)) END", z)
}

// modelScoreSQL is the query giving the model table of fitted over table's rows: entity, [<name>_class],
// <name>_score, <name>_decile. kinds are the features' column kinds; textEntity orders a text entity by
// its bytes (collation "C"), as DuckDB orders it.
func modelScoreSQL(name, entity string, textEntity bool, table string, kinds map[string]string, fitted *StoredModel) (string, error) {
	ent := sql.Ident(entity)
	design := designSQL(fitted.Encoder, kinds)
	if len(design) != fitted.Encoder.Width() {
		return "", fmt.Errorf("model %s: %d design columns for an encoding of %d", name, len(design), fitted.Encoder.Width())
	}
	sel := []string{ent}
	for j, d := range design {
		sel = append(sel, d+" AS "+designCol(j))
	}
	q := "SELECT " + strings.Join(sel, ", ") + " FROM " + sql.Ident(table)
	// layer wraps q in a SELECT of the entity and items. OFFSET 0 keeps PostgreSQL from pulling the
	// subquery up into the outer one, which would paste a column's expression (a boosted model's sum of a
	// hundred trees) into every place that reads it and compute it that many times per row.
	layer := func(alias string, items ...string) {
		q = "SELECT " + ent + ", " + strings.Join(items, ", ") + " FROM (" + q + " OFFSET 0) " + alias
	}
	var probs []string // the classes' probability columns (classifiers)
	var score string   // a regression's score expression over the last layer
	switch {
	case fitted.Linear != nil:
		raw := sqlFloat(fitted.Linear.Intercept)
		for j, c := range fitted.Linear.Coef {
			raw = "(" + raw + " + (" + sqlFloat(c) + " * " + designCol(j) + "))"
		}
		layer("segrun_d", raw+" AS segrun_raw")
		score = "segrun_raw"
	case fitted.RegressionTree != nil:
		nodes := fitted.RegressionTree.Nodes
		layer("segrun_d", treeSQL(treeNodes(nodes), 0, func(n int) string { return sqlFloat(nodes[n].Proba[0]) })+" AS segrun_raw")
		score = "segrun_raw"
	case fitted.Tree != nil:
		nodes := fitted.Tree.Nodes
		layer("segrun_d", treeSQL(treeNodes(nodes), 0, func(n int) string { return strconv.Itoa(n) })+" AS segrun_leaf")
		var items []string
		for k := range fitted.Classes {
			whens := ""
			for n, node := range nodes {
				if node.Left < 0 {
					whens += fmt.Sprintf(" WHEN %d THEN %s", n, sqlFloat(node.Proba[k]))
				}
			}
			p := fmt.Sprintf("segrun_p%d", k)
			items = append(items, "CASE segrun_leaf"+whens+" END AS "+p)
			probs = append(probs, p)
		}
		layer("segrun_l", items...)
	case fitted.Boost != nil:
		b := fitted.Boost
		k := len(b.Baseline)
		if k == 0 || (b.Classes > 2 && k != b.Classes) {
			return "", fmt.Errorf("model %s: boosted fit with %d baselines for %d classes", name, k, b.Classes)
		}
		raws := make([]string, k)
		for o := range raws {
			raws[o] = sqlFloat(b.Baseline[o])
		}
		// The sums nest one level per tree, and PostgreSQL's parser gives up near ten thousand levels:
		// boostTreesPerLayer iterations are added per layer, the running sums carried to the next with
		// the design columns (the same additions in the same order).
		step := boostTreesPerLayer * k
		for start := 0; start < len(b.Trees); start += step {
			end := min(start+step, len(b.Trees))
			for t := start; t < end; t++ {
				tree := b.Trees[t]
				raws[t%k] = "(" + raws[t%k] + " + " + treeSQL(boostNodes(tree), 0, func(n int) string { return sqlFloat(tree[n].Value) }) + ")"
			}
			var items []string
			for o, r := range raws {
				items = append(items, fmt.Sprintf("%s AS segrun_r%d", r, o))
				raws[o] = fmt.Sprintf("segrun_r%d", o)
			}
			if end < len(b.Trees) {
				for j := range design {
					items = append(items, designCol(j))
				}
			}
			layer("segrun_d", items...)
		}
		if len(b.Trees) == 0 {
			var items []string
			for o, r := range raws {
				items = append(items, fmt.Sprintf("%s AS segrun_r%d", r, o))
			}
			layer("segrun_d", items...)
		}
		switch {
		case b.Classes == 0:
			score = "segrun_r0"
		case b.Classes == 2:
			layer("segrun_r", sigmoidSQL("segrun_r0")+" AS segrun_q")
			layer("segrun_s", "1 - segrun_q AS segrun_p0", "segrun_q AS segrun_p1")
			probs = []string{"segrun_p0", "segrun_p1"}
		default:
			probs = softmaxSQL(layer, k, false)
		}
	case fitted.Logistic != nil:
		f := fitted.Logistic
		var items []string
		for o := range f.Coef {
			items = append(items, fmt.Sprintf("(%s + %s) AS segrun_r%d", dotSQL(f.Coef[o]), sqlFloat(f.Intercept[o]), o))
		}
		layer("segrun_d", items...)
		if f.Classes == 2 {
			layer("segrun_r", sigmoidSQL("segrun_r0")+" AS segrun_q")
			layer("segrun_s", "1 - segrun_q AS segrun_p0", "segrun_q AS segrun_p1")
			probs = []string{"segrun_p0", "segrun_p1"}
		} else {
			probs = softmaxSQL(layer, len(f.Coef), true)
		}
	default:
		return "", fmt.Errorf("model %s: a %s fit has no SQL form", name, fitted.Method)
	}
	out := []string{}
	cols := modelOutput(name, score != "")
	if score == "" { // a classifier: the first class of highest probability
		if len(probs) != len(fitted.Classes) {
			return "", fmt.Errorf("model %s: %d probabilities for %d classes", name, len(probs), len(fitted.Classes))
		}
		class := "CASE"
		for k := 0; k < len(probs)-1; k++ {
			var conds []string
			for j := k + 1; j < len(probs); j++ {
				conds = append(conds, probs[k]+" >= "+probs[j])
			}
			class += fmt.Sprintf(" WHEN %s THEN %s", strings.Join(conds, " AND "), sql.Literal(fitted.Classes[k]))
		}
		class += " ELSE " + sql.Literal(fitted.Classes[len(probs)-1]) + " END"
		score = probs[1]
		if len(probs) > 2 {
			score = "GREATEST(" + strings.Join(probs, ", ") + ")"
		}
		out = append(out, "CAST("+class+" AS VARCHAR) AS "+sql.Ident(cols[0].Name))
	}
	out = append(out, "CAST("+score+" AS DOUBLE PRECISION) AS segrun_score")
	layer("segrun_p", out...)
	order := ent
	if textEntity {
		order += ` COLLATE "C"`
	}
	n := len(cols)
	final := []string{ent}
	if n == 3 {
		final = append(final, sql.Ident(cols[0].Name))
	}
	final = append(final, "segrun_score AS "+sql.Ident(cols[n-2].Name),
		fmt.Sprintf("CAST((row_number() OVER (ORDER BY segrun_score DESC, %s) - 1) * 10 / count(*) OVER () + 1 AS INTEGER) AS %s", order, sql.Ident(cols[n-1].Name)))
	return "SELECT " + strings.Join(final, ", ") + " FROM (" + q + " OFFSET 0) segrun_o", nil
}

// softmaxSQL adds the layers of a softmax over the raw columns segrun_r0..k-1 and returns the
// probabilities' columns: exp(r - max), their sum in class order, then each divided by it (boosted trees)
// or multiplied by its reciprocal (logistic: floats.Scale(1/s)).
func softmaxSQL(layer func(alias string, items ...string), k int, reciprocal bool) []string {
	raws := make([]string, k)
	for o := range raws {
		raws[o] = fmt.Sprintf("segrun_r%d", o)
	}
	layer("segrun_r", append(raws, "GREATEST("+strings.Join(raws, ", ")+") AS segrun_m")...)
	var exps []string
	sum := sqlFloat(0)
	for o := range raws {
		exps = append(exps, fmt.Sprintf("exp(segrun_r%d - segrun_m) AS segrun_e%d", o, o))
		sum = fmt.Sprintf("(%s + segrun_e%d)", sum, o)
	}
	layer("segrun_m", exps...)
	exprs := make([]string, k)
	for o := range raws {
		exprs[o] = fmt.Sprintf("segrun_e%d", o)
	}
	layer("segrun_e", append(exprs, sum+" AS segrun_sum")...)
	var probs []string
	for o := range raws {
		p := fmt.Sprintf("segrun_p%d", o)
		if reciprocal {
			probs = append(probs, fmt.Sprintf("segrun_e%d * (1 / segrun_sum) AS %s", o, p))
		} else {
			probs = append(probs, fmt.Sprintf("segrun_e%d / segrun_sum AS %s", o, p))
		}
	}
	layer("segrun_t", probs...)
	out := make([]string, k)
	for o := range out {
		out[o] = fmt.Sprintf("segrun_p%d", o)
	}
	return out
}
