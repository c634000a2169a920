package algorithms

import (
	"math"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// The boosted trees are held to scikit-learn's HistGradientBoosting on the same design matrix and split
// (scripts/models_golden.py, boosted_case): not tree for tree (the binning and tie-breaking differ in
// detail) but in quality, the test part's ROC AUC (or R²) within 0.02 of scikit-learn's.
func TestBoostedTreesMatchScikitLearnQuality(t *testing.T) {
	for _, name := range []string{"models_boosted_breast_cancer", "models_boosted_synthetic", "models_boosted_multiclass", "models_boosted_friedman"} {
		t.Run(name, func(t *testing.T) {
			var g modelGolden
			var p struct {
				Params map[string]float64 `json:"params"`
			}
			readGolden(t, name, &g)
			readGolden(t, name, &p)
			o := BoostOptions{LearningRate: p.Params["learning_rate"], MaxIter: int(p.Params["max_iter"]),
				MaxLeafNodes: int(p.Params["max_leaf_nodes"]), MinSamplesLeaf: int(p.Params["min_samples_leaf"]), L2: p.Params["l2_regularization"]}
			train, test, Xtrain, Xtest, _ := g.prepare(t)
			if g.Classes == nil {
				ytrain, ytest := make([]float64, len(train)), make([]float64, len(test))
				for r, i := range train {
					ytrain[r] = g.Y[i]
				}
				for r, i := range test {
					ytest[r] = g.Y[i]
				}
				fit, err := FitBoostedRegressor(Xtrain, ytrain, o)
				if err != nil {
					t.Fatal(err)
				}
				m := RegressionScores(ytest, fit.Predict(Xtest))
				t.Logf("R² %.4f, scikit-learn %.4f", m.R2, g.Metrics.R2)
				if m.R2 < g.Metrics.R2-0.02 {
					t.Errorf("R² %.4f, more than 0.02 below scikit-learn's %.4f", m.R2, g.Metrics.R2)
				}
				return
			}
			ytrain, ytest := make([]int, len(train)), make([]int, len(test))
			for r, i := range train {
				ytrain[r] = int(g.Y[i])
			}
			for r, i := range test {
				ytest[r] = int(g.Y[i])
			}
			fit, err := FitBoostedClassifier(Xtrain, ytrain, len(g.Classes), o)
			if err != nil {
				t.Fatal(err)
			}
			if fit.Iterations != max(o.MaxIter, 1) && !(o.MaxIter == 0 && fit.Iterations == DefaultBoostMaxIter) {
				t.Errorf("%d iterations", fit.Iterations)
			}
			m := ClassificationMetrics(ytest, fit.Proba(Xtest), g.Classes)
			t.Logf("AUC %.4f, scikit-learn %.4f; log loss %.4f, scikit-learn %.4f", *m.ROCAUC, g.Metrics.ROCAUC, m.LogLoss, g.Metrics.LogLoss)
			if math.Abs(*m.ROCAUC-g.Metrics.ROCAUC) > 0.02 {
				t.Errorf("ROC AUC %.4f, scikit-learn %.4f: more than 0.02 apart", *m.ROCAUC, g.Metrics.ROCAUC)
			}
			sum := 0.0
			for _, v := range fit.Importances {
				sum += v
			}
			near(t, "importances' sum", sum, 1, 1e-9)
		})
	}
}

// The fit is the same whatever the number of goroutines: the trees, to the bit.
func TestBoostedTreesDeterministicAcrossWorkers(t *testing.T) {
	var g modelGolden
	readGolden(t, "models_boosted_multiclass", &g)
	train, _, Xtrain, _, _ := g.prepare(t)
	y := make([]int, len(train))
	for r, i := range train {
		y[r] = int(g.Y[i])
	}
	var fits []*BoostFit
	for _, w := range []int{1, 2, 7, runtime.GOMAXPROCS(0)} {
		fit, err := FitBoostedClassifier(Xtrain, y, len(g.Classes), BoostOptions{MaxIter: 20, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		fits = append(fits, fit)
	}
	for w := 1; w < len(fits); w++ {
		if !slices.Equal(fits[0].Importances, fits[w].Importances) || len(fits[0].Trees) != len(fits[w].Trees) {
			t.Fatalf("fit %d differs from the single-goroutine fit", w)
		}
		for k := range fits[0].Trees {
			if !slices.Equal(fits[0].Trees[k], fits[w].Trees[k]) {
				t.Fatalf("tree %d differs between 1 and %d workers", k, w)
			}
		}
	}
}

// The bins are scikit-learn's: midpoints between distinct values while they fit, quantile midpoints after.
func TestBinThresholds(t *testing.T) {
	got := binThresholds([]float64{3, 1, 2, 2, 5}, 255)
	if !slices.Equal(got, []float64{1.5, 2.5, 4}) {
		t.Errorf("thresholds %v, want [1.5 2.5 4]", got)
	}
	vals := make([]float64, 1000)
	for i := range vals {
		vals[i] = float64(i)
	}
	got = binThresholds(vals, 4) // numpy.percentile(range(1000), [25, 50, 75], method="midpoint")
	if !slices.Equal(got, []float64{249.5, 499.5, 749.5}) {
		t.Errorf("thresholds %v, want [249.5 499.5 749.5]", got)
	}
	for _, x := range []float64{0, 249.5, 250, 1000} {
		b := binOf(got, x)
		if (b > 0 && !(got[b-1] < x)) || (b < len(got) && !(x <= got[b])) {
			t.Errorf("x %g in bin %d of %v", x, b, got)
		}
	}
}

func TestRegressionTreeMatchesScikitLearn(t *testing.T) {
	var g struct {
		X              [][]float64 `json:"X"`
		Y              []float64   `json:"y"`
		Test           []bool      `json:"test"`
		MaxDepth       int         `json:"max_depth"`
		MinSamplesLeaf int         `json:"min_samples_leaf"`
		NodeCount      int         `json:"node_count"`
		Importances    []float64   `json:"importances"`
		TestPred       []float64   `json:"test_pred"`
	}
	readGolden(t, "models_regression_tree_friedman", &g)
	var trainRows, testRows [][]float64
	var ytrain []float64
	for i, row := range g.X {
		if g.Test[i] {
			testRows = append(testRows, row)
		} else {
			trainRows, ytrain = append(trainRows, row), append(ytrain, g.Y[i])
		}
	}
	fit, err := FitRegressionTree(matrixFromRows(trainRows), ytrain, TreeOptions{MaxDepth: g.MaxDepth, MinSamplesLeaf: g.MinSamplesLeaf})
	if err != nil {
		t.Fatal(err)
	}
	if len(fit.Nodes) != g.NodeCount {
		t.Errorf("%d nodes, scikit-learn %d", len(fit.Nodes), g.NodeCount)
	}
	for j := range g.Importances {
		near(t, "importance["+strconv.Itoa(j)+"]", fit.Importances[j], g.Importances[j], 1e-9)
	}
	pred := fit.Predict(matrixFromRows(testRows))
	for i := range g.TestPred {
		near(t, "test prediction "+strconv.Itoa(i), pred[i], g.TestPred[i], 1e-9)
	}
}
