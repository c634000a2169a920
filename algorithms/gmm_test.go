package algorithms

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// gmmGoldenFit is one covariance type's block of testdata/golden/gmm_<name>.json, written by
// scripts/sklearn_golden.py with GaussianMixture(k, covariance_type=cov, random_state=0, n_init=1,
// init_params="kmeans"). Covariances are decoded later, as their shape depends on the type.
type gmmGoldenFit struct {
	Labels            []int           `json:"labels"`
	Proba             [][]float64     `json:"proba"`
	Weights           []float64       `json:"weights"`
	Means             [][]float64     `json:"means"`
	Covariances       json.RawMessage `json:"covariances"`
	BIC               float64         `json:"bic"`
	MeanLogLikelihood float64         `json:"mean_log_likelihood"`
	NIter             int             `json:"n_iter"`
	Converged         bool            `json:"converged"`
}

type gmmGolden struct {
	X    [][]float64  `json:"X"`
	K    int          `json:"k"`
	Full gmmGoldenFit `json:"full"`
	Diag gmmGoldenFit `json:"diag"`
}

func readGMMGolden(t testing.TB, name, covType string) (*Matrix, int, gmmGoldenFit) {
	t.Helper()
	var g gmmGolden
	readGolden(t, "gmm_"+name, &g)
	fit := g.Full
	if covType == "diag" {
		fit = g.Diag
	}
	return matrixFromRows(g.X), g.K, fit
}

// sklearnParams rebuilds scikit-learn's fitted mixture as GMMParams.
func (f gmmGoldenFit) sklearnParams(t *testing.T, covType string) *GMMParams {
	t.Helper()
	p := &GMMParams{CovarianceType: covType, Weights: f.Weights, Means: matrixFromRows(f.Means)}
	d := p.Means.Cols
	switch covType {
	case "full":
		var covs [][][]float64
		if err := json.Unmarshal(f.Covariances, &covs); err != nil {
			t.Fatal(err)
		}
		for _, c := range covs {
			p.Covariances = append(p.Covariances, matrixFromRows(c).Data)
		}
	case "diag":
		if err := json.Unmarshal(f.Covariances, &p.Covariances); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range p.Covariances {
		prec, ok := precisionCholesky(covType, c, d)
		if !ok {
			t.Fatal("sklearn covariance not positive definite")
		}
		p.PrecisionsCholesky = append(p.PrecisionsCholesky, prec)
	}
	return p
}

// TestGMMPredictWithSklearnParameters evaluates scikit-learn's own fitted mixtures: labels, posteriors,
// mean log-likelihood (score) and BIC must be its values up to rounding. This pins the density, the precision
// Cholesky factors, the log-sum-exp and the BIC parameter count independently of EM and its initialisation.
func TestGMMPredictWithSklearnParameters(t *testing.T) {
	for _, name := range []string{"blobs", "iris", "aniso"} {
		for _, covType := range []string{"full", "diag"} {
			t.Run(name+"/"+covType, func(t *testing.T) {
				X, k, ref := readGMMGolden(t, name, covType)
				p := ref.sklearnParams(t, covType)
				labels, prob, err := p.Predict(X)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(labels, ref.Labels) {
					t.Errorf("labels differ from sklearn's predict (ARI %.4f)", AdjustedRandIndex(labels, ref.Labels))
				}
				for i, l := range labels {
					if math.Abs(prob[i]-ref.Proba[i][l]) > 1e-9 {
						t.Fatalf("row %d: posterior %.12f, sklearn %.12f", i, prob[i], ref.Proba[i][l])
					}
				}
				e, _ := p.evaluator()
				score := e.assign(X, make([]int, X.Rows), nil, 2)
				if rel := math.Abs(score/ref.MeanLogLikelihood - 1); rel > 1e-12 {
					t.Errorf("score %.15f vs sklearn %.15f (rel %.1e)", score, ref.MeanLogLikelihood, rel)
				}
				n := float64(X.Rows)
				bic := -2*score*n + float64(gmmFreeParameters(covType, k, X.Cols))*math.Log(n)
				if rel := math.Abs(bic/ref.BIC - 1); rel > 1e-12 {
					t.Errorf("BIC %.10f vs sklearn %.10f", bic, ref.BIC)
				}
			})
		}
	}
}

// TestGMMFitMatchesSklearn fits with scikit-learn's defaults (tol 1e-3 on the mean log-likelihood) and
// compares with its golden fit.
//
// Where EM converges properly (blobs; iris and aniso with full covariance) both runs end next to the same
// optimum: labels agree (ARI >= 0.99) and the mean log-likelihood and BIC agree to 1e-4 relative. Measured:
// identical to 1e-15 when our k-means initialisation gives sklearn's partition, at most 5.2e-6 (iris full)
// when it does not, because EM then stops at a slightly different point of the same ascent.
//
// With diagonal covariance on iris and aniso, scikit-learn stops after 4-5 iterations because one step
// improves the mean log-likelihood by less than tol, while the optimum is still far (aniso diag needs 112
// iterations at tol 1e-10, see TestGMMConvergedOptimumMatchesSklearn). Where such an early stop lands
// depends on the initial k-means partition, which differs from scikit-learn's (different random draws). There
// we assert what the stopping rule guarantees: both mean log-likelihoods within tol (1e-3) of each other, and
// labels still close (ARI >= 0.95; measured 0.95-0.98).
func TestGMMFitMatchesSklearn(t *testing.T) {
	for _, tc := range []struct {
		name, covType string
		earlyStop     bool
	}{
		{"blobs", "full", false}, {"blobs", "diag", false},
		{"iris", "full", false}, {"aniso", "full", false},
		{"iris", "diag", true}, {"aniso", "diag", true},
	} {
		t.Run(tc.name+"/"+tc.covType, func(t *testing.T) {
			X, k, ref := readGMMGolden(t, tc.name, tc.covType)
			c, err := Cluster(X, ClusterSpec{Method: "gmm", K: k, Seed: 0,
				Params: map[string]any{"covariance_type": tc.covType}})
			if err != nil {
				t.Fatal(err)
			}
			if !c.Report.Converged || c.Report.Method != "gmm" {
				t.Errorf("report %+v", c.Report)
			}
			ari := AdjustedRandIndex(c.Labels, ref.Labels)
			ll, bic := c.Report.LogLikelihood, c.Report.BIC
			if !tc.earlyStop {
				if ari < 0.99 {
					t.Errorf("ARI %.4f < 0.99", ari)
				}
				if rel := math.Abs(ll/ref.MeanLogLikelihood - 1); rel > 1e-4 {
					t.Errorf("mean log-likelihood %.8f vs sklearn %.8f (rel %.1e > 1e-4)", ll,
						ref.MeanLogLikelihood, rel)
				}
				if rel := math.Abs(bic/ref.BIC - 1); rel > 1e-4 {
					t.Errorf("BIC %.4f vs sklearn %.4f (rel %.1e > 1e-4)", bic, ref.BIC, rel)
				}
			} else {
				if ari < 0.95 {
					t.Errorf("ARI %.4f < 0.95", ari)
				}
				if diff := math.Abs(ll - ref.MeanLogLikelihood); diff > 1e-3 {
					t.Errorf("mean log-likelihood %.8f vs sklearn %.8f: differ by %.1e > tol", ll,
						ref.MeanLogLikelihood, diff)
				}
			}
			checkGMMClustering(t, X, c)
		})
	}
}

// checkGMMClustering checks the invariants of a mixture fit: probabilities are posteriors of the assigned
// (most probable) component, weights sum to 1, and the model predicts the fit's own labels.
func checkGMMClustering(t *testing.T, X *Matrix, c *Clustering) {
	t.Helper()
	p := c.Model.GMM
	sum := 0.0
	for _, w := range p.Weights {
		sum += w
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("weights sum to %v", sum)
	}
	for i, pr := range c.Probability {
		if !(pr >= 1/float64(c.K)-1e-12 && pr <= 1) {
			t.Fatalf("row %d: probability %v of the most probable of %d components", i, pr, c.K)
		}
	}
	labels, prob, err := c.Model.Predict(X)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, c.Labels) || !slices.Equal(prob, c.Probability) {
		t.Error("model's predict differs from the fit")
	}
	if !slices.Equal(c.Centroids.Data, p.Means.Data) {
		t.Error("centroids are not the component means")
	}
}

// sklearnConvergedGMM are scikit-learn 1.2.1's fits run to convergence (tol 1e-10), mean log-likelihood and
// BIC, for all four covariance types; not in the golden files, so produced once with:
//
//	GaussianMixture(k, covariance_type=cov, random_state=0, tol=1e-10, max_iter=10000).fit(X)
//	print(m.score(X), m.bic(X))   # X, k from testdata/golden/gmm_<name>.json
var sklearnConvergedGMM = []struct {
	name, covType string
	meanLogLik    float64
	bic           float64
}{
	{"blobs", "full", -5.5544837516459316, 6914.860758528548},
	{"blobs", "diag", -5.5723473844813585, 6859.533962068465},
	{"blobs", "tied", -5.579179918009512, 6829.351424370953},
	{"blobs", "spherical", -5.57992705192225, 6817.454125755807},
	{"iris", "full", -1.2012365172856594, 580.8389081259331},
	{"iris", "diag", -2.047850478245856, 744.6316611202594},
	{"iris", "tied", -1.7090269548406893, 632.9633335105169},
	{"iris", "spherical", -2.5620939672109233, 853.8089901629132},
	{"aniso", "full", -2.4863880916363588, 2592.036429309536},
	{"aniso", "diag", -3.261759117908976, 3348.7636312868867},
	{"aniso", "tied", -2.4911164250181983, 2559.4771141008423},
	{"aniso", "spherical", -3.2933200630093387, 3361.680752091983},
}

// TestGMMConvergedOptimumMatchesSklearn runs EM to convergence, where the stopping point no longer depends on
// the initialisation: the optimum must be scikit-learn's to 1e-8 relative (measured: 1e-10 or better). This
// covers "tied" and "spherical" too, which have no golden file.
func TestGMMConvergedOptimumMatchesSklearn(t *testing.T) {
	for _, ref := range sklearnConvergedGMM {
		t.Run(ref.name+"/"+ref.covType, func(t *testing.T) {
			X, k, _ := readGMMGolden(t, ref.name, "full")
			c, err := Cluster(X, ClusterSpec{Method: "gmm", K: k, Seed: 0,
				Params: map[string]any{"covariance_type": ref.covType, "tol": 1e-10, "max_iter": 10000}})
			if err != nil {
				t.Fatal(err)
			}
			if rel := math.Abs(c.Report.LogLikelihood/ref.meanLogLik - 1); rel > 1e-8 {
				t.Errorf("mean log-likelihood %.12f vs sklearn %.12f (rel %.1e)", c.Report.LogLikelihood,
					ref.meanLogLik, rel)
			}
			if rel := math.Abs(c.Report.BIC/ref.bic - 1); rel > 1e-8 {
				t.Errorf("BIC %.8f vs sklearn %.8f (rel %.1e)", c.Report.BIC, ref.bic, rel)
			}
			checkGMMClustering(t, X, c)
		})
	}
}

func TestGMMParamsSurviveJSON(t *testing.T) {
	X, k, _ := readGMMGolden(t, "iris", "full")
	for _, covType := range gmmCovarianceTypes {
		c, err := Cluster(X, ClusterSpec{Method: "gmm", K: k, Seed: 5,
			Params: map[string]any{"covariance_type": covType}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(c.Model)
		if err != nil {
			t.Fatal(err)
		}
		var m Model
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		labels, prob, err := m.Predict(X)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels, c.Labels) || !slices.Equal(prob, c.Probability) {
			t.Errorf("%s: predictions after a JSON round trip differ", covType)
		}
		// The stored mixture scores the rows as the fit reported (refit: never reports it so).
		ll, bic, err := m.GMM.Score(X)
		if err != nil || ll != c.Report.LogLikelihood || bic != c.Report.BIC {
			t.Errorf("%s: score %v, BIC %v (%v); the fit reported %v, %v", covType, ll, bic, err, c.Report.LogLikelihood, c.Report.BIC)
		}
	}
}

func TestGMMRejectsBadParamsAndModels(t *testing.T) {
	X, k, _ := readGMMGolden(t, "iris", "full")
	_, err := Cluster(X, ClusterSpec{Method: "gmm", K: k, Params: map[string]any{"covariance_type": "banana"}})
	if err == nil || !strings.Contains(err.Error(), "full, diag, spherical, tied") {
		t.Errorf("unsupported covariance type: error %v should list the supported ones", err)
	}
	_, err = Cluster(X, ClusterSpec{Method: "gmm", K: k, Params: map[string]any{"reg_covr": 1e-3}})
	if err == nil || !strings.Contains(err.Error(), `did you mean "reg_covar"`) {
		t.Errorf("misspelt param: %v", err)
	}
	c, err := Cluster(X, ClusterSpec{Method: "gmm", K: k, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Model.GMM.Predict(&Matrix{Rows: 1, Cols: 2, Data: []float64{1, 2}}); err == nil {
		t.Error("predict with the wrong number of features should fail")
	}
	if _, _, err := (&GMMParams{}).Predict(X); err == nil {
		t.Error("predict with an empty model should fail")
	}
	broken := *c.Model.GMM
	broken.PrecisionsCholesky = broken.PrecisionsCholesky[:1]
	if _, _, err := broken.Predict(X); err == nil {
		t.Error("predict with missing precision factors should fail")
	}
}

// TestGMMCollapsedComponentIsAnError: with reg_covar 0, a component on identical rows has a singular
// covariance; EM must report it as scikit-learn does, not panic or return NaN.
func TestGMMCollapsedComponentIsAnError(t *testing.T) {
	X := &Matrix{Rows: 6, Cols: 2, Data: []float64{0, 0, 0, 0, 0, 0, 5, 5, 5, 6, 6, 5}}
	_, err := Cluster(X, ClusterSpec{Method: "gmm", K: 2, Params: map[string]any{"reg_covar": 0}})
	if err == nil || !strings.Contains(err.Error(), "ill-defined empirical covariance") {
		t.Errorf("error = %v", err)
	}
}
