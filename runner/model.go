package runner

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// Running a model step: read the training table as Arrow, split it, fit the features' encoding and the
// model on the training part, judge it on the test part, then score the score table and write the
// model's table. The algorithms are algorithms/logistic.go and linear.go; docs/algorithms.md, "Models".

// MinClassRows is the fewest training rows a class must have: below it a classifier's coefficients for the
// class are noise, and its test metrics rest on a handful of rows.
const MinClassRows = 5

// DefaultTestShare is the share of entities held out when split: gives none.
const DefaultTestShare = 0.25

// ModelReport is what a run tells about one model: how it was fitted and how it did on the test part.
type ModelReport struct {
	Name   string `json:"name"`
	Method string `json:"method"`
	// Task is binary, multiclass or regression.
	Task    string   `json:"task"`
	Label   string   `json:"label"`
	Classes []string `json:"classes,omitempty"`
	// Split says how the test part was held out.
	Split      string `json:"split"`
	TrainRows  int    `json:"train_rows"`
	TestRows   int    `json:"test_rows"`
	Unlabelled int    `json:"unlabelled_rows,omitempty"`
	Scored     int64  `json:"scored_rows"`
	Iterations int    `json:"iterations,omitempty"`
	Converged  *bool  `json:"converged,omitempty"`
	// FittedIn is the version whose stored model scored this run (refit: never); 0: fitted in this run.
	FittedIn int64 `json:"fitted_in,omitempty"`
	// SampleRows is the cap on the training rows (sample_rows, or the engine's default) when the training
	// table had more rows than it: the fit saw a seeded sample of that many.
	SampleRows int `json:"sample_rows,omitempty"`
	// TrainedAsOf says, for a label_window model, the date its training features were computed as of.
	TrainedAsOf string `json:"trained_as_of,omitempty"`
	// Coefficients are the fitted model's, on standardised numbers and one-hot levels.
	Coefficients []ModelCoefficient `json:"coefficients,omitempty"`
	// Importances are a tree's: each design column's share of the impurity it removed.
	Importances    []ModelCoefficient            `json:"importances,omitempty"`
	Classification *algorithms.ClassMetrics      `json:"classification,omitempty"`
	Regression     *algorithms.RegressionMetrics `json:"regression,omitempty"`
	// Model is everything scoring needs: the encoding and the fit.
	Model *StoredModel `json:"-"`
}

// ModelCoefficient is one design column's coefficient (for Class's logit when there are classes).
type ModelCoefficient struct {
	Class   string  `json:"class,omitempty"`
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
}

// StoredModel is a fitted model as it is kept: the encoding fitted on the training part and the fit.
type StoredModel struct {
	Method   string                  `json:"method"`
	Task     string                  `json:"task"`
	Classes  []string                `json:"classes,omitempty"`
	Encoder  *algorithms.Encoder     `json:"encoder"`
	Logistic *algorithms.LogisticFit `json:"logistic,omitempty"`
	Linear   *algorithms.LinearFit   `json:"linear,omitempty"`
	Tree     *algorithms.TreeFit     `json:"tree,omitempty"`
	// RegressionTree is a tree's fit on a numeric label.
	RegressionTree *algorithms.RegressionTreeFit `json:"regression_tree,omitempty"`
	// Boost is boosted_trees' fit, a classifier's or a regression's.
	Boost *algorithms.BoostFit `json:"boost,omitempty"`
}

// predict is a regression's predictions for X.
func (s *StoredModel) predict(X *algorithms.Matrix) []float64 {
	switch {
	case s.Boost != nil:
		return s.Boost.Predict(X)
	case s.RegressionTree != nil:
		return s.RegressionTree.Predict(X)
	}
	return s.Linear.Predict(X)
}

// proba is a classifier's class probabilities for X.
func (s *StoredModel) proba(X *algorithms.Matrix) *algorithms.Matrix {
	switch {
	case s.Tree != nil:
		return s.Tree.Proba(X)
	case s.Boost != nil:
		return s.Boost.Proba(X)
	}
	return s.Logistic.Proba(X)
}

// modelRows are a table's rows as a model reads them.
type modelRows struct {
	batches []arrow.RecordBatch
	keys    []string // the entity as text, for the split
	labels  []string // classes (logistic)
	targets []float64
	missing []bool // no label
	test    []bool // in the test part (split by time)
	cols    []algorithms.ModelColumn
}

func (r *modelRows) release() { methods.Release(r.batches) }

func (e *execution) runModel(ctx context.Context, name string) (int64, error) {
	m, _ := e.s.Models.Get(name)
	step := "model " + name
	rep := &ModelReport{Name: name, Method: m.Method, Label: m.Label}
	kinds := map[string]string{}
	regression, numericLabel := false, false
	input := e.v.Columns[m.From]
	trainTable := m.From
	if w := m.LabelWindow; w != nil {
		if err := e.buildPointInTime(ctx, name, m); err != nil {
			var f *Failure
			if errors.As(err, &f) && f.Step == "" {
				f.Step = step
			}
			return 0, err
		}
		trainTable = pitTable(name)
		cols, err := e.db.Describe(ctx, "SELECT * FROM "+sql.Ident(trainTable))
		if err != nil {
			return 0, err
		}
		input = cols
		var asOf time.Time
		if err := e.db.QueryRow(ctx, "SELECT "+pitWindow(e.s, w.Days)).Scan(&asOf); err != nil {
			return 0, err
		}
		rep.TrainedAsOf = fmt.Sprintf("%s (as_of - %d days; label over [%s, as_of) from %s)", asOf.Format(time.DateOnly), w.Days, asOf.Format(time.DateOnly), w.From)
	}
	for _, c := range input {
		kinds[c.Name] = modelColumnKind(c.Type)
		if c.Name == m.Label {
			regression = regresses(m.Method, c.Type)
			numericLabel = modelColumnKind(c.Type) == colNumber
		}
	}
	if err := e.checkModelEntities(ctx, name, trainTable, m.ScoreTable()); err != nil {
		return 0, err
	}
	// Read before WithArrow, which holds the workspace's connection the store's reads need.
	stored, err := e.storedFit(ctx, name, m, rep)
	if err != nil {
		var f *Failure
		if errors.As(err, &f) && f.Step == "" {
			f.Step = step
		}
		return 0, err
	}
	var rows int64
	if e.s.IsPostgres() {
		rows, err = e.runModelOnEngine(ctx, name, m, trainTable, kinds, stored, rep, regression, numericLabel)
	} else {
		rows, err = e.runModelInProcess(ctx, m, trainTable, kinds, stored, rep, regression, numericLabel, name)
	}
	if err != nil {
		var f *Failure
		if errors.As(err, &f) && f.Step == "" {
			f.Step = step
		}
		return 0, err
	}
	e.res.Models = append(e.res.Models, *rep)
	return rows, nil
}

// runModelInProcess fits (unless stored is given) and scores the model in Go over the rows DuckDB hands
// over as Arrow, and writes the model's table from the scores.
func (e *execution) runModelInProcess(ctx context.Context, m spec.Model, trainTable string, kinds map[string]string, stored *StoredModel, rep *ModelReport, regression, numericLabel bool, name string) (int64, error) {
	step := "model " + name
	var rows int64
	sample := m.SampleRows
	err := e.db.WithArrow(ctx, func(a *sql.Arrow) error {
		train, err := readModelRows(a, e.s.Entity, m, trainTable, kinds, true, regression, sample)
		if err != nil {
			return sqlFailure(step, "reading "+trainTable+": ", err, "")
		}
		defer train.release()
		fitted := stored
		if fitted == nil {
			var err error
			if fitted, err = e.fitModel(m, train, rep, regression, numericLabel); err != nil {
				return err
			}
			rep.noteSample(sample, len(train.keys))
		}
		scored := train
		if m.ScoreTable() != trainTable || sample > 0 {
			if scored, err = readModelRows(a, e.s.Entity, m, m.ScoreTable(), kinds, false, regression, 0); err != nil {
				return sqlFailure(step, "reading "+m.ScoreTable()+": ", err, "")
			}
			defer scored.release()
		}
		rows = int64(len(scored.keys))
		rep.Scored = rows
		return writeModelTable(a, name, e.s.Entity, m, fitted, scored, regression)
	})
	return rows, err
}

// readModelRows reads the entity, its text (for the split), the features and, for training, the label and
// the time split's test flag; with sample > 0, of at most sample rows (modelSampleSQL).
func readModelRows(a *sql.Arrow, entity string, m spec.Model, table string, kinds map[string]string, training, regression bool, sample int) (*modelRows, error) {
	batches, _, err := methods.ReadBatches(a, modelRowsQuery(false, entity, false, m, table, kinds, training, regression, sample))
	if err != nil {
		return nil, err
	}
	return decodeModelRows(batches, entity, m, table, kinds, training)
}

// modelRowsQuery is the statement readModelRows reads, in the dialect of the engine (postgres: numbers as
// DOUBLE PRECISION, booleans through INTEGER, which PostgreSQL needs to make them doubles; a text entity
// ordered by its bytes, as DuckDB orders it).
func modelRowsQuery(postgres bool, entity string, textEntity bool, m spec.Model, table string, kinds map[string]string, training, regression bool, sample int) string {
	double := func(col, kind string) string {
		switch {
		case !postgres:
			return "CAST(" + col + " AS DOUBLE)"
		case kind == colBool:
			return "CAST(CAST(" + col + " AS INTEGER) AS DOUBLE PRECISION)"
		}
		return "CAST(" + col + " AS DOUBLE PRECISION)"
	}
	sel := []string{sql.Ident(entity), "CAST(" + sql.Ident(entity) + " AS VARCHAR)"}
	if training {
		if !regression { // classes
			sel = append(sel, "CAST("+sql.Ident(m.Label)+" AS VARCHAR)")
		} else {
			sel = append(sel, double(sql.Ident(m.Label), kinds[m.Label]))
		}
		if m.Split.By != "" {
			sel = append(sel, fmt.Sprintf("coalesce(%s > CAST((%s) AS TIMESTAMP), false)", sql.Ident(m.Split.By), m.Split.TestAfter))
		}
	}
	for _, f := range m.Features {
		if kinds[f] == colText {
			sel = append(sel, "CAST("+sql.Ident(f)+" AS VARCHAR)")
		} else {
			sel = append(sel, double(sql.Ident(f), kinds[f]))
		}
	}
	// In entity order: DuckDB's threads hand rows over in no fixed order, and a fit's sums (and the boosted
	// trees' sample of rows their bins are cut from) follow the rows' order, so without it the same data
	// gave a different model run to run (TestModelFitDoesNotDependOnRowOrder).
	order := "1"
	if textEntity { // qualified: an ordinal would be the number 1 collated, and the name is ambiguous
		order = sql.Ident(table) + "." + sql.Ident(entity) + ` COLLATE "C"`
	}
	from := sql.Ident(table)
	if sample > 0 {
		from = "(" + modelSampleSQL(entity, m, table, sample) + ") " + sql.Ident(table)
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM " + from + " ORDER BY " + order
}

// decodeModelRows reads modelRowsQuery's batches, which it keeps (release them with the rows).
func decodeModelRows(batches []arrow.RecordBatch, entity string, m spec.Model, table string, kinds map[string]string, training bool) (_ *modelRows, err error) {
	defer func() {
		if err != nil {
			methods.Release(batches)
		}
	}()
	r := &modelRows{batches: batches}
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	r.keys = make([]string, 0, n)
	for _, f := range m.Features {
		c := algorithms.ModelColumn{Name: f}
		if kinds[f] == colText {
			c.Text, c.Missing = make([]string, 0, n), make([]bool, 0, n)
		} else {
			c.Num = make([]float64, 0, n)
		}
		r.cols = append(r.cols, c)
	}
	seen := map[string]string{}
	own := func(v string) string { // the batches are released; the model keeps its levels
		if s, ok := seen[v]; ok {
			return s
		}
		s := strings.Clone(v)
		seen[s] = s
		return s
	}
	for _, b := range batches {
		col := 1
		next := func() arrow.Array { col++; return b.Column(col - 1) }
		keys := next().(*array.String)
		var labels arrow.Array
		var test *array.Boolean
		if training {
			labels = next()
			if m.Split.By != "" {
				test = next().(*array.Boolean)
			}
		}
		for i := 0; i < int(b.NumRows()); i++ {
			r.keys = append(r.keys, own(keys.Value(i)))
			if training {
				r.missing = append(r.missing, labels.IsNull(i))
				switch l := labels.(type) {
				case *array.String:
					r.labels = append(r.labels, own(l.Value(i)))
				case *array.Float64:
					r.targets = append(r.targets, l.Value(i))
				}
				if test != nil {
					r.test = append(r.test, test.Value(i))
				}
			}
		}
		for j := range r.cols {
			arr := next()
			c := &r.cols[j]
			for i := 0; i < arr.Len(); i++ {
				switch x := arr.(type) {
				case *array.String:
					c.Text = append(c.Text, own(x.Value(i)))
					c.Missing = append(c.Missing, x.IsNull(i))
				case *array.Float64:
					v := x.Value(i)
					if x.IsNull(i) {
						v = math.NaN()
					} else if math.IsInf(v, 0) {
						// Standardising it makes every value NaN, and the fit then fails with a message
						// about something else (collinear features).
						return nil, &Failure{Msg: fmt.Sprintf("feature %s of %s has an infinite value (%s %s): a model needs finite numbers; cap or filter it in the SQL that computes it",
							c.Name, table, entity, r.keys[len(c.Num)])}
					}
					c.Num = append(c.Num, v)
				default:
					return nil, fmt.Errorf("column %s came back as %s", c.Name, arr.DataType())
				}
			}
		}
	}
	return r, nil
}

// fitModel splits the labelled rows, fits the encoding and the model on the training part and fills in
// the report with the test part's metrics.
func (e *execution) fitModel(m spec.Model, r *modelRows, rep *ModelReport, regression, numericLabel bool) (*StoredModel, error) {
	share := m.Split.Test
	if share == 0 {
		share = DefaultTestShare
	}
	if m.Split.By != "" {
		rep.Split = fmt.Sprintf("test: %s after %s", m.Split.By, m.Split.TestAfter)
	} else {
		rep.Split = fmt.Sprintf("test: %g of entities (seed %d)", share, m.Split.Seed)
	}
	var train, test []int
	for i, key := range r.keys {
		switch {
		case r.missing[i]:
			rep.Unlabelled++
		case m.Split.By != "" && r.test[i], m.Split.By == "" && algorithms.InTestPart(key, m.Split.Seed, share):
			test = append(test, i)
		default:
			train = append(train, i)
		}
	}
	rep.TrainRows, rep.TestRows = len(train), len(test)
	if len(train) == 0 || len(test) == 0 {
		return nil, failf("", "%s has %d labelled rows: %d in the training part and %d in the test part; both need rows (%s)",
			m.From, len(train)+len(test), len(train), len(test), rep.Split)
	}
	enc, err := algorithms.FitEncoder(r.cols, train)
	if err != nil {
		return nil, failf("", "%v", err)
	}
	Xtrain, err := enc.Transform(r.cols, train)
	if err != nil {
		return nil, err
	}
	Xtest, err := enc.Transform(r.cols, test)
	if err != nil {
		return nil, err
	}
	stored := &StoredModel{Method: m.Method, Encoder: enc}
	design := enc.Columns()
	if regression && m.Method != "linear" {
		stored.Task = "regression"
		ytrain := pick(r.targets, train)
		if m.Method == "tree" {
			fit, err := algorithms.FitRegressionTree(Xtrain, ytrain, algorithms.TreeOptions{MaxDepth: m.Params.MaxDepth, MinSamplesLeaf: m.Params.MinSamplesLeaf})
			if err != nil {
				return nil, failf("", "%v", err)
			}
			stored.RegressionTree = fit
			rep.Importances = importances(design, fit.Importances)
		} else {
			fit, err := algorithms.FitBoostedRegressor(Xtrain, ytrain, e.boostOptions(m))
			if err != nil {
				return nil, failf("", "%v", err)
			}
			stored.Boost = fit
			rep.Iterations = fit.Iterations
			rep.Importances = importances(design, fit.Importances)
		}
		met := algorithms.RegressionScores(pick(r.targets, test), stored.predict(Xtest))
		rep.Regression = &met
	} else if m.Method == "linear" {
		stored.Task = "regression"
		if len(train) < len(design)+2 {
			return nil, failf("", "%d training rows for %d coefficients: too few to fit a linear regression", len(train), len(design)+1)
		}
		fit, err := algorithms.FitLinear(Xtrain, pick(r.targets, train), m.Params.Alpha, design)
		if err != nil {
			return nil, failf("", "%v", err)
		}
		stored.Linear = fit
		met := algorithms.RegressionScores(pick(r.targets, test), fit.Predict(Xtest))
		rep.Regression = &met
		rep.Coefficients = append(rep.Coefficients, ModelCoefficient{Feature: "(intercept)", Value: fit.Intercept})
		for j, f := range design {
			rep.Coefficients = append(rep.Coefficients, ModelCoefficient{Feature: f, Value: fit.Coef[j]})
		}
	} else {
		classes := labelClasses(r, numericLabel)
		code := map[string]int{}
		for k, c := range classes {
			code[c] = k
		}
		counts := make([]int, len(classes))
		ytrain := make([]int, len(train))
		for t, i := range train {
			ytrain[t] = code[r.labels[i]]
			counts[ytrain[t]]++
		}
		var few []string
		for k, c := range classes {
			if counts[k] < MinClassRows {
				few = append(few, fmt.Sprintf("%s: %d", c, counts[k]))
			}
		}
		if len(classes) < 2 {
			return nil, failf("", "label %s has one class (%s) in the labelled rows: there is nothing to predict", m.Label, strings.Join(classes, ""))
		}
		if len(few) > 0 {
			return nil, failf("", "label %s: every class needs at least %d training rows; too few for %s", m.Label, MinClassRows, strings.Join(few, ", "))
		}
		stored.Classes = classes
		stored.Task = "binary"
		if len(classes) > 2 {
			stored.Task = "multiclass"
		}
		if m.Method == "boosted_trees" {
			fit, err := algorithms.FitBoostedClassifier(Xtrain, ytrain, len(classes), e.boostOptions(m))
			if err != nil {
				return nil, failf("", "%v", err)
			}
			stored.Boost = fit
			rep.Iterations = fit.Iterations
			ytest := make([]int, len(test))
			for t, i := range test {
				ytest[t] = code[r.labels[i]]
			}
			met := algorithms.ClassificationMetrics(ytest, fit.Proba(Xtest), classes)
			rep.Classification = &met
			rep.Importances = importances(design, fit.Importances)
			rep.Task, rep.Classes, rep.Model = stored.Task, stored.Classes, stored
			return stored, nil
		}
		if m.Method == "tree" {
			fit, err := algorithms.FitTree(Xtrain, ytrain, len(classes), algorithms.TreeOptions{MaxDepth: m.Params.MaxDepth, MinSamplesLeaf: m.Params.MinSamplesLeaf})
			if err != nil {
				return nil, failf("", "%v", err)
			}
			stored.Tree = fit
			ytest := make([]int, len(test))
			for t, i := range test {
				ytest[t] = code[r.labels[i]]
			}
			met := algorithms.ClassificationMetrics(ytest, fit.Proba(Xtest), classes)
			rep.Classification = &met
			for j, f := range design {
				rep.Importances = append(rep.Importances, ModelCoefficient{Feature: f, Value: fit.Importances[j]})
			}
			rep.Task, rep.Classes, rep.Model = stored.Task, stored.Classes, stored
			return stored, nil
		}
		fit, err := algorithms.FitLogistic(Xtrain, ytrain, len(classes), algorithms.LogisticOptions{C: m.Params.C, Tol: m.Params.Tol,
			MaxIter: m.Params.MaxIter, Workers: methods.Workers(e.o.Threads)})
		if err != nil {
			return nil, failf("", "%v", err)
		}
		stored.Logistic = fit
		rep.Iterations, rep.Converged = fit.Iterations, &fit.Converged
		if !fit.Converged {
			e.warn("model %s: logistic regression did not converge in %d iterations; raise params.max_iter", rep.Name, fit.Iterations)
		}
		ytest := make([]int, len(test))
		for t, i := range test {
			ytest[t] = code[r.labels[i]]
		}
		met := algorithms.ClassificationMetrics(ytest, fit.Proba(Xtest), classes)
		rep.Classification = &met
		for k := range fit.Coef {
			class := classes[1]
			if len(classes) > 2 {
				class = classes[k]
			}
			rep.Coefficients = append(rep.Coefficients, ModelCoefficient{Class: class, Feature: "(intercept)", Value: fit.Intercept[k]})
			for j, f := range design {
				rep.Coefficients = append(rep.Coefficients, ModelCoefficient{Class: class, Feature: f, Value: fit.Coef[k][j]})
			}
		}
	}
	rep.Task, rep.Classes, rep.Model = stored.Task, stored.Classes, stored
	return stored, nil
}

// labelClasses are the labelled rows' classes, sorted: the second of two is the positive class.
func labelClasses(r *modelRows, numeric bool) []string {
	seen := map[string]bool{}
	var classes []string
	for i, l := range r.labels {
		if !r.missing[i] && !seen[l] {
			seen[l] = true
			classes = append(classes, l)
		}
	}
	slices.SortFunc(classes, func(a, b string) int {
		if numeric {
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(b, 64)
			return cmp.Compare(x, y)
		}
		return strings.Compare(a, b)
	})
	return classes
}

// boostOptions are m's boosting settings; the split's seed also seeds the rows the bins are cut from.
func (e *execution) boostOptions(m spec.Model) algorithms.BoostOptions {
	p := m.Params
	return algorithms.BoostOptions{LearningRate: p.LearningRate, MaxIter: p.MaxIter, MaxDepth: p.MaxDepth,
		MaxLeafNodes: p.MaxLeafNodes, MinSamplesLeaf: p.MinSamplesLeaf, L2: p.L2, MaxBins: p.MaxBins,
		Seed: m.Split.Seed, Workers: methods.Workers(e.o.Threads)}
}

// importances pairs each design column with its importance.
func importances(design []string, v []float64) []ModelCoefficient {
	out := make([]ModelCoefficient, len(design))
	for j, f := range design {
		out[j] = ModelCoefficient{Feature: f, Value: v[j]}
	}
	return out
}

func pick(v []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for t, i := range rows {
		out[t] = v[i]
	}
	return out
}

// score is each of r's rows' class (nil for a regression), score and decile: a binary classifier's score
// is the second class's probability, a multiclass one's its class's; deciles by score, ties in row order.
func (s *StoredModel) score(r *modelRows) (class []string, score []float64, deciles []int32, err error) {
	X, err := s.Encoder.Transform(r.cols, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	n := X.Rows
	score = make([]float64, n)
	if s.Task == "regression" {
		score = s.predict(X)
	} else {
		P := s.proba(X)
		class = make([]string, n)
		for i := 0; i < n; i++ {
			row := P.Row(i)
			best := 0
			for k := range row {
				if row[k] > row[best] {
					best = k
				}
			}
			class[i] = s.Classes[best]
			score[i] = row[best]
			if len(s.Classes) == 2 {
				score[i] = row[1]
			}
		}
	}
	return class, score, algorithms.Deciles(score), nil
}

// writeModelTable scores r's rows with the fitted model and writes the model's table.
func writeModelTable(a *sql.Arrow, name, entity string, m spec.Model, fitted *StoredModel, r *modelRows, regression bool) error {
	if len(r.batches) == 0 {
		cols := []string{}
		for _, c := range modelOutput(name, regression) {
			cols = append(cols, "NULL::"+c.Type+" AS "+sql.Ident(c.Name))
		}
		return a.Exec(fmt.Sprintf("CREATE OR REPLACE TABLE %s AS SELECT %s, %s FROM %s WHERE false", sql.Ident(name),
			sql.Ident(entity), strings.Join(cols, ", "), sql.Ident(m.ScoreTable())))
	}
	class, score, deciles, err := fitted.score(r)
	if err != nil {
		return err
	}
	var fields []arrow.Field
	outs := modelOutput(name, regression)
	for _, c := range outs {
		t := arrow.DataType(arrow.PrimitiveTypes.Float64)
		switch c.Type {
		case "VARCHAR":
			t = arrow.BinaryTypes.String
		case "INTEGER":
			t = arrow.PrimitiveTypes.Int32
		}
		fields = append(fields, arrow.Field{Name: c.Name, Type: t, Nullable: true})
	}
	arrays := make([][]arrow.Array, len(fields))
	offset := 0
	for _, b := range r.batches {
		k := int(b.NumRows())
		at := 0
		if class != nil {
			sb := array.NewStringBuilder(memory.DefaultAllocator)
			sb.AppendValues(class[offset:offset+k], nil)
			arrays[at] = append(arrays[at], sb.NewArray())
			sb.Release()
			at++
		}
		arrays[at] = append(arrays[at], methods.Float64Array(score[offset:offset+k]))
		arrays[at+1] = append(arrays[at+1], methods.Int32Array(deciles[offset:offset+k]))
		offset += k
	}
	defer func() {
		for _, as := range arrays {
			for _, x := range as {
				x.Release()
			}
		}
	}()
	reader, err := methods.WithColumns(r.batches, 0, fields, arrays)
	if err != nil {
		return err
	}
	defer reader.Release()
	return a.CreateTable(name, reader, "*", "")
}

// storedFit is, for refit: never, the model the latest published version kept, with that version's report
// (its metrics are the test part's when it was fitted); nil when the model is refitted or none is stored.
func (e *execution) storedFit(ctx context.Context, name string, m spec.Model, rep *ModelReport) (*StoredModel, error) {
	if m.Refit != "never" || e.base == nil {
		return nil, nil
	}
	v, err := e.store.LatestModel(ctx, e.base.ID, name)
	if err != nil || v == nil {
		return nil, err
	}
	var fitted StoredModel
	if err := json.Unmarshal(v.Fitted, &fitted); err != nil {
		return nil, fmt.Errorf("model %s: the model version %d stored cannot be read: %w", name, v.Run, err)
	}
	var names []string
	for _, f := range fitted.Encoder.Features {
		names = append(names, f.Name)
	}
	if fitted.Method != m.Method || !slices.Equal(names, m.Features) {
		return nil, failf("", "refit: never, but version %d's model is %s on [%s], not %s on [%s]: refit it once (refit: always) after changing the method or features",
			v.Run, fitted.Method, strings.Join(names, ", "), m.Method, strings.Join(m.Features, ", "))
	}
	if err := json.Unmarshal(v.Report, rep); err != nil {
		return nil, fmt.Errorf("model %s: the report version %d stored cannot be read: %w", name, v.Run, err)
	}
	if rep.FittedIn == 0 {
		rep.FittedIn = v.Run
	}
	rep.Model = &fitted
	return &fitted, nil
}

// storedModels are the run's models as the store keeps them (store.ModelVersion).
func (e *execution) storedModels() ([]store.ModelVersion, error) {
	var out []store.ModelVersion
	for _, r := range e.res.Models {
		report, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", r.Name, err)
		}
		fitted, err := json.Marshal(r.Model)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", r.Name, err)
		}
		out = append(out, store.ModelVersion{Model: r.Name, Method: r.Method, Report: report, Fitted: fitted})
	}
	return out, nil
}
