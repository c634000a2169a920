package cluster

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/sql"
)

// Cluster assignment on an engine: a stored model (its fitted preprocessing and its centroids or mixture)
// written as one SQL statement that DuckDB and PostgreSQL both run over the segmentation's input, so the
// rows are assigned where they lie and only the model (fitted in Go on a sample) crosses the network.
//
// The statement repeats Prep.Apply and Model.Predict operation for operation, in the same order, on the
// same IEEE doubles: every constant is written as the text of its shortest round-trip form cast to DOUBLE
// PRECISION (a bare 0.1 is an exact NUMERIC on PostgreSQL and a DECIMAL on DuckDB, whose arithmetic is not
// Go's), every sum is parenthesised in Go's order, and the centroids are ranked by the very scores
// nearestFinder computes (algorithms.NearestCentroidTerms), so a row gets Go's label, not merely the label
// of an equivalent formula that rounds differently near a tie. The one step that is not bit-for-bit is
// log1p: neither engine has it, and ln(1 + x) (PostgreSQL's and DuckDB's C library log) can differ from
// Go's math.Log1p in the last bit; a row within that rounding of equidistant may then fall the other way
// (docs/engines.md has the measurement). GMM's probability goes through exp, which also differs in the last
// bits between the C library and Go: the label does not depend on it, the probability agrees to ~1e-15.
//
// NULL handling is Go's: a NULL or NaN numeric value is missing; impute fills it with the stored fill, drop
// leaves the row out of the result, and with no impute a missing value is an error (NewPrepCheck finds it
// first, with ±Inf and log1p's domain, since a SELECT cannot raise one portably). A text feature's NULL or
// unseen category encodes as all zeros.

// AssignmentSQL is one statement over the table from giving, for each row the model assigns, the entity,
// its segment (text), its stable cluster id (INTEGER) and, for a mixture, its membership probability
// (DOUBLE PRECISION): the result table the cluster method writes today, computed as assignWithModel
// computes it. Run NewPrepCheck's statement first. Methods whose assignment has no SQL form say so (PushdownError).
func AssignmentSQL(prep *algorithms.Prep, model *algorithms.Model, ids []int, segments map[int]string, from, entity string) (string, error) {
	if model == nil || prep == nil {
		return "", errors.New("cluster assignment SQL: no stored model")
	}
	if err := PushdownError(model.Method, "this engine"); err != nil {
		return "", err
	}
	q, label, probability, err := scoredSQL(prep, model, from, entity)
	if err != nil {
		return "", err
	}
	// Level 4: the label, computed once; level 5: the label to the stable id and its segment, as
	// storedModel.predict and writeClusters.
	prob := ""
	if probability != "" {
		prob = ", " + probability + " AS probability"
	}
	q = fmt.Sprintf("SELECT %s, %s AS segrun_label%s FROM %s segrun_scored", sql.Ident(entity), label, prob, fenced(q))
	idCase, segCase := "CASE segrun_label", "CASE segrun_label"
	for l, id := range ids {
		idCase += fmt.Sprintf(" WHEN %d THEN %d", l, id)
		segCase += fmt.Sprintf(" WHEN %d THEN %s", l, sql.Literal(segments[id]))
	}
	sel := fmt.Sprintf("%s, %s END AS segment, CAST(%s END AS INTEGER) AS cluster", sql.Ident(entity), segCase, idCase)
	if probability != "" {
		sel += ", probability"
	}
	return fmt.Sprintf("SELECT %s FROM %s segrun_labelled WHERE segrun_label IS NOT NULL", sel, fenced(q)), nil
}

// fenced is q as a derived table PostgreSQL evaluates once per row: without OFFSET 0 its planner pulls a
// subquery up into the query above and pastes each of its expressions wherever the query above names
// it, so the first-least CASE, which names every score k times, would compute each score (and the
// features and projection under it) dozens of times: 45 s for a million rows and k = 8 instead of
// a few seconds. DuckDB computes a projection once either way.
func fenced(q string) string { return "(" + q + " OFFSET 0)" }

// scoredSQL is the statement up to each row's scores (segrun_s0.. the nearest-centroid scores, or
// segrun_l0.. the mixture's weighted log-densities), with the expressions over them giving the model's
// label and, for a mixture, the probability.
func scoredSQL(prep *algorithms.Prep, model *algorithms.Model, from, entity string) (q, label, probability string, err error) {
	features, where, err := prepSQL(prep)
	if err != nil {
		return "", "", "", err
	}
	d := len(features)
	// Level 1: the prepared features (impute, transforms, scaling, one-hot) from the input's columns.
	q = fmt.Sprintf("SELECT %s, %s FROM %s", sql.Ident(entity), aliased(features, "segrun_x"), sql.Ident(from))
	if where != "" {
		q += " WHERE " + where
	}
	x := names("segrun_x", d)
	// Level 2: PCA's projection, (x - mean)·componentᵀ summed in feature order.
	if p := prep.PCA; p != nil {
		pcs := make([]string, p.Components.Rows)
		for c := range pcs {
			terms := make([]string, d)
			for m := range d {
				terms[m] = fmt.Sprintf("(%s - %s) * %s", x[m], float8(p.Mean[m]), float8(p.Components.Data[c*d+m]))
			}
			pcs[c] = leftSum(terms)
		}
		q = fmt.Sprintf("SELECT %s, %s FROM %s segrun_prepared", sql.Ident(entity), aliased(pcs, "segrun_p"), fenced(q))
		x = names("segrun_p", len(pcs))
	}
	if model.GMM != nil {
		return gmmSQL(q, entity, model.GMM, x)
	}
	q, label, err = nearestSQL(q, entity, model.Centroids, x)
	return q, label, "", err
}

// nearestSQL adds the nearest-centroid scores (level 3) and returns the label expression over them.
func nearestSQL(q, entity string, centroids *algorithms.Matrix, x []string) (string, string, error) {
	terms := algorithms.NearestCentroidTerms(centroids)
	if terms == nil || centroids.Cols != len(x) {
		return "", "", fmt.Errorf("cluster assignment SQL: the stored centroids do not match the %d prepared features", len(x))
	}
	k := len(terms.Bias)
	scores := make([]string, k)
	for j := range k {
		s := float8(terms.Bias[j])
		for g := 0; 4*g < len(x); g++ {
			var pairs []string
			for p := 0; p < 2; p++ {
				var prods []string
				for m := 4*g + 2*p; m < min(4*g+2*p+2, len(x)); m++ {
					prods = append(prods, fmt.Sprintf("%s * %s", x[m], float8(terms.Twice[j][m])))
				}
				if len(prods) > 0 {
					pairs = append(pairs, "("+strings.Join(prods, " + ")+")")
				}
			}
			s = fmt.Sprintf("(%s - (%s))", s, strings.Join(pairs, " + "))
		}
		scores[j] = s
	}
	q = fmt.Sprintf("SELECT %s, %s FROM %s segrun_features", sql.Ident(entity), aliased(scores, "segrun_s"), fenced(q))
	return q, firstExtreme("LEAST", names("segrun_s", k)), nil
}

// gmmSQL adds each component's weighted log-density (level 3) and returns the label and probability
// expressions over them.
func gmmSQL(q, entity string, g *algorithms.GMMParams, x []string) (string, string, string, error) {
	t, err := g.LogDensityTerms()
	if err != nil {
		return "", "", "", err
	}
	if len(t.Means[0]) != len(x) {
		return "", "", "", fmt.Errorf("cluster assignment SQL: the stored mixture has %d features, the prepared input %d", len(t.Means[0]), len(x))
	}
	d := len(x)
	logs := make([]string, len(t.LogConst))
	for j := range logs {
		diff := make([]string, d)
		for m := range d {
			diff[m] = fmt.Sprintf("(%s - %s)", x[m], float8(t.Means[j][m]))
		}
		ys := make([]string, d)
		for r := range d {
			if t.Lower != nil {
				terms := make([]string, r+1)
				for c := 0; c <= r; c++ {
					terms[c] = fmt.Sprintf("%s * %s", float8(t.Lower[j][r*d+c]), diff[c])
				}
				ys[r] = leftSum(terms)
			} else {
				ys[r] = fmt.Sprintf("%s * %s", diff[r], float8(t.Scale[j][r]))
			}
		}
		squares := make([]string, d)
		for r, y := range ys {
			squares[r] = fmt.Sprintf("(%[1]s) * (%[1]s)", y)
		}
		logs[j] = fmt.Sprintf("%s - %s * %s", float8(t.LogConst[j]), float8(0.5), leftSum(squares))
	}
	q = fmt.Sprintf("SELECT %s, %s FROM %s segrun_features", sql.Ident(entity), aliased(logs, "segrun_l"), fenced(q))
	l := names("segrun_l", len(logs))
	mx := "GREATEST(" + strings.Join(l, ", ") + ")"
	exps := make([]string, len(l))
	for j, v := range l {
		// PostgreSQL's exp raises an error where the result underflows (Go's gives a subnormal or 0); every
		// such term is below 2^-1021, and the sum holds exp(0) = 1, so leaving them out changes no bit of it.
		exps[j] = fmt.Sprintf("CASE WHEN %[1]s - %[2]s < %[3]s THEN %[4]s ELSE exp(%[1]s - %[2]s) END", v, mx, float8(-708), float8(0))
	}
	return q, firstExtreme("GREATEST", l), fmt.Sprintf("%s / (%s)", float8(1), leftSum(exps)), nil
}

// firstExtreme is the index of the first of cols equal to their LEAST (or GREATEST): numpy's argmin
// (argmax), Go's strict-comparison scan.
func firstExtreme(fn string, cols []string) string {
	ext := fn + "(" + strings.Join(cols, ", ") + ")"
	var b strings.Builder
	// A NULL score (a missing value with no impute, which NewPrepCheck refuses first) gives no label
	// rather than the last one, which the comparisons below would otherwise fall through to.
	fmt.Fprintf(&b, "CASE WHEN %s IS NULL THEN NULL", ext)
	for j, c := range cols[:len(cols)-1] {
		fmt.Fprintf(&b, " WHEN %s = %s THEN %d", c, ext, j)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(cols)-1)
	return b.String()
}

// prepSQL is each prepared feature as an expression over the input's columns, in the Prep's output order
// before PCA, and the condition keeping the rows impute: drop keeps ("" for every row).
func prepSQL(p *algorithms.Prep) (features []string, where string, err error) {
	var keep []string
	for _, pc := range p.Columns {
		col := sql.Ident(pc.Name)
		if pc.Text {
			// OneHotEncoder(handle_unknown="ignore"): NULL or an unseen category is all zeros. Booleans read as
			// true/false, as textInto reads them.
			for _, c := range pc.Categories {
				features = append(features, fmt.Sprintf("CASE WHEN CAST(%s AS VARCHAR) = %s THEN %s ELSE %s END", col, sql.Literal(c), float8(1), float8(0)))
			}
			if p.Impute == algorithms.ImputeDrop {
				keep = append(keep, col+" IS NOT NULL")
			}
			continue
		}
		steps, err := numericSteps(pc, p.Impute)
		if err != nil {
			return nil, "", err
		}
		if p.Impute == algorithms.ImputeDrop {
			keep = append(keep, "NOT "+missingSQL(pc.Name))
		}
		v := steps[len(steps)-1]
		if pc.Center != 0 || pc.Scale != 1 {
			v = fmt.Sprintf("(%s - %s) / %s", v, float8(pc.Center), float8(pc.Scale))
		}
		features = append(features, v)
	}
	if p.PCA != nil && p.PCA.Components.Cols != len(features) {
		return nil, "", fmt.Errorf("cluster assignment SQL: the stored PCA has %d inputs, the preprocessing %d features", p.PCA.Components.Cols, len(features))
	}
	return features, strings.Join(keep, " AND "), nil
}

// numericSteps is a numeric column as SQL after imputation, then after each of its transforms in turn.
func numericSteps(pc algorithms.PrepColumn, impute string) ([]string, error) {
	v := "CAST(" + sql.Ident(pc.Name) + " AS DOUBLE PRECISION)"
	switch impute {
	case algorithms.ImputeMean, algorithms.ImputeMedian, algorithms.ImputeZero:
		v = fmt.Sprintf("CASE WHEN %s THEN %s ELSE %s END", missingSQL(pc.Name), float8(pc.Fill), v)
	default: // NaN as NULL, so a missing value NewPrepCheck would refuse leaves its row unlabelled
		v = fmt.Sprintf("CASE WHEN %[1]s = CAST('NaN' AS DOUBLE PRECISION) THEN NULL ELSE %[1]s END", v)
	}
	steps := []string{v}
	for _, t := range pc.Transforms {
		switch t.Kind {
		case "log1p":
			v = fmt.Sprintf("ln(%s + %s)", float8(1), v)
		case "clip", "winsorize":
			v = fmt.Sprintf("CASE WHEN %[1]s < %[2]s THEN %[2]s WHEN %[1]s > %[3]s THEN %[3]s ELSE %[1]s END", v, float8(t.Lower), float8(t.Upper))
		default:
			return nil, fmt.Errorf("cluster assignment SQL: column %s has transform %q", pc.Name, t.Kind)
		}
		steps = append(steps, v)
	}
	return steps, nil
}

// missingSQL is the condition that a numeric column's value is missing as Go reads it: NULL or NaN (both
// engines hold NaN equal to itself).
func missingSQL(column string) string {
	return fmt.Sprintf("(%[1]s IS NULL OR %[1]s = CAST('NaN' AS DOUBLE PRECISION))", "CAST("+sql.Ident(column)+" AS DOUBLE PRECISION)")
}

// float8 is v as a DOUBLE PRECISION constant both engines read as exactly v.
func float8(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprintf("CAST('%v' AS DOUBLE PRECISION)", v) // never in a stored model (checkFinite)
	}
	return "CAST('" + strconv.FormatFloat(v, 'g', -1, 64) + "' AS DOUBLE PRECISION)"
}

// leftSum is terms added left to right, as a Go loop accumulates them.
func leftSum(terms []string) string {
	s := "(" + terms[0] + ")"
	for _, t := range terms[1:] {
		s = "(" + s + " + (" + t + "))"
	}
	return s
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func aliased(exprs []string, prefix string) string {
	parts := slices.Clone(exprs)
	for i := range parts {
		parts[i] += " AS " + prefix + strconv.Itoa(i)
	}
	return strings.Join(parts, ", ")
}
