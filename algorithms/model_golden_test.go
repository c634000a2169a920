package algorithms

import (
	"math"
	"strconv"
	"testing"
)

// The models' golden files (scripts/models_golden.py) hold raw features, labels, the seeded split as
// scikit-learn's side computed it, and scikit-learn's fit, predictions and metrics.
type modelGolden struct {
	Numeric      [][]float64 `json:"numeric"`
	NumericNames []string    `json:"numeric_names"`
	Text         [][]string  `json:"text"`
	TextNames    []string    `json:"text_names"`
	Y            []float64   `json:"y"`
	Classes      []string    `json:"classes"`
	C            float64     `json:"C"`
	Alpha        float64     `json:"alpha"`
	Seed         uint64      `json:"seed"`
	TestShare    float64     `json:"test_share"`
	Test         []bool      `json:"test"`
	Coef         any         `json:"coef"`
	Intercept    any         `json:"intercept"`
	TestProba    [][]float64 `json:"test_proba"`
	OptCoef      any         `json:"optimum_coef"`
	OptIntercept []float64   `json:"optimum_intercept"`
	TestPred     []float64   `json:"test_pred"`
	Metrics      struct {
		Rows                 int          `json:"rows"`
		Accuracy             float64      `json:"accuracy"`
		Precision            float64      `json:"precision"`
		Recall               float64      `json:"recall"`
		F1                   float64      `json:"f1"`
		ROCAUC               float64      `json:"roc_auc"`
		LogLoss              float64      `json:"log_loss"`
		Confusion            [][]int      `json:"confusion"`
		CalibrationObserved  []float64    `json:"calibration_observed"`
		CalibrationPredicted []float64    `json:"calibration_predicted"`
		Lift                 []LiftDecile `json:"lift"`
		RMSE                 float64      `json:"rmse"`
		MAE                  float64      `json:"mae"`
		R2                   float64      `json:"r2"`
	} `json:"metrics"`
}

// prepare splits the golden's rows with InTestPart (checking it against the script's own split) and encodes
// them as the runner does.
func (g *modelGolden) prepare(t *testing.T) (train, test []int, Xtrain, Xtest *Matrix, enc *Encoder) {
	t.Helper()
	var cols []ModelColumn
	for j, x := range g.Numeric {
		cols = append(cols, ModelColumn{Name: g.NumericNames[j], Num: x})
	}
	for j, x := range g.Text {
		cols = append(cols, ModelColumn{Name: g.TextNames[j], Text: x})
	}
	for i := range g.Y {
		inTest := InTestPart(strconv.Itoa(i), g.Seed, g.TestShare)
		if inTest != g.Test[i] {
			t.Fatalf("row %d: InTestPart says test=%v, the script's split %v", i, inTest, g.Test[i])
		}
		if inTest {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	enc, err := FitEncoder(cols, train)
	if err != nil {
		t.Fatal(err)
	}
	if Xtrain, err = enc.Transform(cols, train); err != nil {
		t.Fatal(err)
	}
	if Xtest, err = enc.Transform(cols, test); err != nil {
		t.Fatal(err)
	}
	return train, test, Xtrain, Xtest, enc
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) != math.IsNaN(want) {
		t.Errorf("%s = %.12g, scikit-learn %.12g (tolerance %g)", what, got, want, tol)
	}
}

func asMatrix(v any) [][]float64 {
	var out [][]float64
	switch r := v.(type) {
	case []any:
		if len(r) > 0 {
			if _, nested := r[0].([]any); !nested {
				return [][]float64{asFloats(r)}
			}
		}
		for _, row := range r {
			out = append(out, asFloats(row.([]any)))
		}
	}
	return out
}

func asFloats(r []any) []float64 {
	out := make([]float64, len(r))
	for i, v := range r {
		out[i] = v.(float64)
	}
	return out
}

func TestLogisticMatchesScikitLearn(t *testing.T) {
	for _, name := range []string{"models_logistic_breast_cancer", "models_logistic_multinomial"} {
		t.Run(name, func(t *testing.T) {
			var g modelGolden
			readGolden(t, name, &g)
			train, test, Xtrain, Xtest, _ := g.prepare(t)
			ytrain := make([]int, len(train))
			for r, i := range train {
				ytrain[r] = int(g.Y[i])
			}
			fit, err := FitLogistic(Xtrain, ytrain, len(g.Classes), LogisticOptions{C: g.C, Tol: 1e-10})
			if err != nil {
				t.Fatal(err)
			}
			if !fit.Converged {
				t.Errorf("not converged after %d iterations", fit.Iterations)
			}
			// scikit-learn's lbfgs stops on its relative function tolerance before its gradient tolerance, up to
			// ~1e-4 from the optimum (scripts/models_golden.py, polish): the fit must be within 1e-4 of its
			// coefficients beyond that distance of scikit-learn's own, and within 1e-6 of the optimum the
			// script polished from scikit-learn's solution.
			coef, icpt := asMatrix(g.Coef), asFloats(g.Intercept.([]any))
			opt := asMatrix(g.OptCoef)
			for k := range coef {
				for j := range coef[k] {
					what := "coef[" + strconv.Itoa(k) + "][" + strconv.Itoa(j) + "]"
					near(t, what+" vs scikit-learn", fit.Coef[k][j], coef[k][j], 1e-4+math.Abs(coef[k][j]-opt[k][j]))
					near(t, what+" vs the optimum", fit.Coef[k][j], opt[k][j], 1e-6)
				}
				near(t, "intercept["+strconv.Itoa(k)+"] vs scikit-learn", fit.Intercept[k], icpt[k], 1e-4+math.Abs(icpt[k]-g.OptIntercept[k]))
				near(t, "intercept["+strconv.Itoa(k)+"] vs the optimum", fit.Intercept[k], g.OptIntercept[k], 1e-6)
			}
			// Metrics of scikit-learn's own predictions, to 1e-6.
			ytest := make([]int, len(test))
			for r, i := range test {
				ytest[r] = int(g.Y[i])
			}
			m := ClassificationMetrics(ytest, matrixFromRows(g.TestProba), g.Classes)
			checkClassMetrics(t, m, &g)
			// Our predictions are scikit-learn's up to its distance from the optimum.
			P := fit.Proba(Xtest)
			for i := range g.TestProba {
				for c := range g.TestProba[i] {
					near(t, "test probability", P.At(i, c), g.TestProba[i][c], 1e-4)
				}
			}
		})
	}
}

func checkClassMetrics(t *testing.T, m ClassMetrics, g *modelGolden) {
	t.Helper()
	w := g.Metrics
	if m.Rows != w.Rows {
		t.Fatalf("rows %d, scikit-learn %d", m.Rows, w.Rows)
	}
	near(t, "accuracy", m.Accuracy, w.Accuracy, 1e-6)
	near(t, "precision", m.Precision, w.Precision, 1e-6)
	near(t, "recall", m.Recall, w.Recall, 1e-6)
	near(t, "f1", m.F1, w.F1, 1e-6)
	near(t, "log loss", m.LogLoss, w.LogLoss, 1e-6)
	if m.ROCAUC == nil {
		t.Errorf("no ROC AUC, scikit-learn %g", w.ROCAUC)
	} else {
		near(t, "ROC AUC", *m.ROCAUC, w.ROCAUC, 1e-6)
	}
	for a := range w.Confusion {
		for b := range w.Confusion[a] {
			if m.Confusion[a][b] != w.Confusion[a][b] {
				t.Errorf("confusion[%d][%d] = %d, scikit-learn %d", a, b, m.Confusion[a][b], w.Confusion[a][b])
			}
		}
	}
	if w.CalibrationObserved != nil {
		if len(m.Calibrate) != len(w.CalibrationObserved) {
			t.Fatalf("%d calibration bins, scikit-learn %d", len(m.Calibrate), len(w.CalibrationObserved))
		}
		for b, bin := range m.Calibrate {
			near(t, "calibration observed", bin.Observed, w.CalibrationObserved[b], 1e-6)
			near(t, "calibration predicted", bin.Predicted, w.CalibrationPredicted[b], 1e-6)
		}
	}
	if w.Lift != nil {
		if len(m.Lift) != len(w.Lift) {
			t.Fatalf("%d lift deciles, the script %d", len(m.Lift), len(w.Lift))
		}
		for d, l := range m.Lift {
			want := w.Lift[d]
			if l.Rows != want.Rows || l.Positives != want.Positives {
				t.Errorf("decile %d: %d rows %d positives, the script %d and %d", d+1, l.Rows, l.Positives, want.Rows, want.Positives)
			}
			near(t, "lift", l.Lift, want.Lift, 1e-6)
			near(t, "captured", l.Captured, want.Captured, 1e-6)
		}
	}
}

func TestLinearMatchesScikitLearn(t *testing.T) {
	for _, name := range []string{"models_linear_diabetes", "models_ridge_synthetic"} {
		t.Run(name, func(t *testing.T) {
			var g modelGolden
			readGolden(t, name, &g)
			train, test, Xtrain, Xtest, enc := g.prepare(t)
			ytrain := make([]float64, len(train))
			for r, i := range train {
				ytrain[r] = g.Y[i]
			}
			fit, err := FitLinear(Xtrain, ytrain, g.Alpha, enc.Columns())
			if err != nil {
				t.Fatal(err)
			}
			coef := asFloats(g.Coef.([]any))
			for j := range coef {
				near(t, "coef["+strconv.Itoa(j)+"]", fit.Coef[j], coef[j], 1e-4)
			}
			near(t, "intercept", fit.Intercept, g.Intercept.(float64), 1e-4)
			ytest := make([]float64, len(test))
			for r, i := range test {
				ytest[r] = g.Y[i]
			}
			m := RegressionScores(ytest, g.TestPred)
			near(t, "rmse", m.RMSE, g.Metrics.RMSE, 1e-6)
			near(t, "mae", m.MAE, g.Metrics.MAE, 1e-6)
			near(t, "r2", m.R2, g.Metrics.R2, 1e-6)
			pred := fit.Predict(Xtest)
			for i := range pred {
				near(t, "prediction", pred[i], g.TestPred[i], 1e-6)
			}
		})
	}
}

func TestTreeMatchesScikitLearn(t *testing.T) {
	var g struct {
		X              [][]float64 `json:"X"`
		Y              []int       `json:"y"`
		Test           []bool      `json:"test"`
		MaxDepth       int         `json:"max_depth"`
		MinSamplesLeaf int         `json:"min_samples_leaf"`
		NodeCount      int         `json:"node_count"`
		Importances    []float64   `json:"importances"`
		TestProba      [][]float64 `json:"test_proba"`
		Accuracy       float64     `json:"accuracy"`
	}
	readGolden(t, "models_tree_synthetic", &g)
	var trainRows, testRows [][]float64
	var ytrain, ytest []int
	for i, row := range g.X {
		if g.Test[i] {
			testRows, ytest = append(testRows, row), append(ytest, g.Y[i])
		} else {
			trainRows, ytrain = append(trainRows, row), append(ytrain, g.Y[i])
		}
	}
	fit, err := FitTree(matrixFromRows(trainRows), ytrain, 2, TreeOptions{MaxDepth: g.MaxDepth, MinSamplesLeaf: g.MinSamplesLeaf})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Nodes) != g.NodeCount {
		t.Errorf("%d nodes, scikit-learn %d", len(fit.Nodes), g.NodeCount)
	}
	for j := range g.Importances {
		near(t, "importance["+strconv.Itoa(j)+"]", fit.Importances[j], g.Importances[j], 1e-9)
	}
	P := fit.Proba(matrixFromRows(testRows))
	for i := range g.TestProba {
		for c := range g.TestProba[i] {
			near(t, "test probability", P.At(i, c), g.TestProba[i][c], 1e-12)
		}
	}
	m := ClassificationMetrics(ytest, P, []string{"0", "1"})
	near(t, "accuracy", m.Accuracy, g.Accuracy, 1e-12)
}
