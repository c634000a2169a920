package algorithms

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// prepWineGolden is testdata/golden/preprocess_wine.json, written by scripts/sklearn_golden.py.
type prepWineGolden struct {
	X                          [][]float64  `json:"X"`
	Standard                   [][]float64  `json:"standard"`
	StandardMean               []float64    `json:"standard_mean"`
	StandardScale              []float64    `json:"standard_scale"`
	MinMax                     [][]float64  `json:"minmax"`
	Robust                     [][]float64  `json:"robust"`
	RobustCenter               []float64    `json:"robust_center"`
	RobustScale                []float64    `json:"robust_scale"`
	Log1p                      [][]float64  `json:"log1p"`
	XMissing                   [][]*float64 `json:"X_missing"` // null marks a missing value
	ImputeMean                 [][]float64  `json:"impute_mean"`
	ImputeMedian               [][]float64  `json:"impute_median"`
	ClipQuantiles              []float64    `json:"clip_quantiles"`
	Clipped                    [][]float64  `json:"clipped"`
	PCA2Components             [][]float64  `json:"pca2_components"`
	PCA2ExplainedVariance      []float64    `json:"pca2_explained_variance"`
	PCA2ExplainedVarianceRatio []float64    `json:"pca2_explained_variance_ratio"`
	PCA2Transformed            [][]float64  `json:"pca2_transformed"`
	PCA90NComponents           int          `json:"pca90_n_components"`
	PCA90ExplainedVarianceRati []float64    `json:"pca90_explained_variance_ratio"`
	PCAAllExplainedVariance    []float64    `json:"pca_all_explained_variance"`
}

func prepLoadWine(t testing.TB) *prepWineGolden {
	t.Helper()
	var g prepWineGolden
	readGolden(t, "preprocess_wine", &g)
	return &g
}

// prepFrameOf makes a numeric frame with columns c0, c1... from rows.
func prepFrameOf(rows [][]float64) *Frame {
	f := &Frame{}
	if len(rows) == 0 {
		return f
	}
	for j := range rows[0] {
		col := make([]float64, len(rows))
		for i, r := range rows {
			col[i] = r[j]
		}
		f.Columns = append(f.Columns, Column{Name: fmt.Sprintf("c%d", j), Num: col})
	}
	return f
}

// prepClose is the golden tolerance: 1e-9 relative, or 1e-12 absolute for values near zero, where a
// relative bound is meaningless (a standardised value near the mean carries the absolute rounding error of
// x - mean).
func prepClose(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(math.Max(math.Abs(got), math.Abs(want)), 1e-3)
}

func prepAssertMatrix(t *testing.T, what string, got *Matrix, want [][]float64) {
	t.Helper()
	if got.Rows != len(want) || got.Cols != len(want[0]) {
		t.Fatalf("%s: shape %dx%d, want %dx%d", what, got.Rows, got.Cols, len(want), len(want[0]))
	}
	bad := 0
	for i := range want {
		for j := range want[i] {
			if g := got.At(i, j); !prepClose(g, want[i][j]) {
				if bad < 5 {
					t.Errorf("%s[%d][%d] = %.17g, want %.17g", what, i, j, g, want[i][j])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d values off", what, bad)
	}
}

func prepAssertVector(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !prepClose(got[i], want[i]) {
			t.Errorf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

func prepFit(t *testing.T, f *Frame, s PrepSpec) (*Prep, *Matrix, *PrepReport) {
	t.Helper()
	p, X, rep, err := FitPrep(f, s)
	if err != nil {
		t.Fatalf("FitPrep(%+v): %v", s, err)
	}
	return p, X, rep
}

// eachColumn gives every column of f the same transforms.
func eachColumn(f *Frame, ts ...Transform) map[string][]Transform {
	m := map[string][]Transform{}
	for _, c := range f.Columns {
		m[c.Name] = ts
	}
	return m
}

func TestPrepScalersMatchSklearn(t *testing.T) {
	g := prepLoadWine(t)
	f := prepFrameOf(g.X)

	p, X, rep := prepFit(t, f, PrepSpec{})
	prepAssertMatrix(t, "standard", X, g.Standard)
	for j, pc := range p.Columns {
		if !prepClose(pc.Center, g.StandardMean[j]) || !prepClose(pc.Scale, g.StandardScale[j]) {
			t.Errorf("standard column %d: center %g scale %g, want %g %g", j, pc.Center, pc.Scale, g.StandardMean[j], g.StandardScale[j])
		}
	}
	if rep.Kept != nil || rep.Dropped != 0 || rep.Imputed != nil || len(rep.Warnings) != 0 {
		t.Errorf("clean data report: %+v", rep)
	}
	if len(rep.Features) != 13 || rep.Features[0] != "c0" {
		t.Errorf("features %v", rep.Features)
	}

	_, X, _ = prepFit(t, f, PrepSpec{Scale: "minmax"})
	prepAssertMatrix(t, "minmax", X, g.MinMax)

	p, X, _ = prepFit(t, f, PrepSpec{Scale: "robust"})
	prepAssertMatrix(t, "robust", X, g.Robust)
	for j, pc := range p.Columns {
		if !prepClose(pc.Center, g.RobustCenter[j]) || !prepClose(pc.Scale, g.RobustScale[j]) {
			t.Errorf("robust column %d: center %g scale %g, want %g %g", j, pc.Center, pc.Scale, g.RobustCenter[j], g.RobustScale[j])
		}
	}

	_, X, _ = prepFit(t, f, PrepSpec{Scale: "none"})
	prepAssertMatrix(t, "none", X, g.X)
}

func TestPrepTransformsMatchNumpy(t *testing.T) {
	g := prepLoadWine(t)
	f := prepFrameOf(g.X)
	_, X, _ := prepFit(t, f, PrepSpec{Scale: "none", Transform: eachColumn(f, Transform{Kind: "log1p"})})
	prepAssertMatrix(t, "log1p", X, g.Log1p)

	lo, hi := g.ClipQuantiles[0], g.ClipQuantiles[1]
	_, X, _ = prepFit(t, f, PrepSpec{Scale: "none", Transform: eachColumn(f, Transform{Kind: "clip", Lower: lo, Upper: hi})})
	prepAssertMatrix(t, "clipped", X, g.Clipped)

	// winsorize with p = 0.05 is the same clip, whether Upper is left unset or given as 1-p.
	for _, upper := range []float64{0, 0.95} {
		_, X, _ = prepFit(t, f, PrepSpec{Scale: "none", Transform: eachColumn(f, Transform{Kind: "winsorize", Lower: 0.05, Upper: upper})})
		prepAssertMatrix(t, "winsorized", X, g.Clipped)
	}
}

func TestPrepImputersMatchSklearn(t *testing.T) {
	g := prepLoadWine(t)
	rows := make([][]float64, len(g.XMissing))
	missing := map[string]int{}
	for i, r := range g.XMissing {
		rows[i] = make([]float64, len(r))
		for j, v := range r {
			if v == nil {
				rows[i][j] = math.NaN()
				missing[fmt.Sprintf("c%d", j)]++
			} else {
				rows[i][j] = *v
			}
		}
	}
	f := prepFrameOf(rows)
	_, X, rep := prepFit(t, f, PrepSpec{Impute: "mean", Scale: "none"})
	prepAssertMatrix(t, "impute_mean", X, g.ImputeMean)
	if !reflect.DeepEqual(rep.Imputed, missing) {
		t.Errorf("imputed %v, want %v", rep.Imputed, missing)
	}
	_, X, _ = prepFit(t, f, PrepSpec{Impute: "median", Scale: "none"})
	prepAssertMatrix(t, "impute_median", X, g.ImputeMedian)

	_, _, _, err := FitPrep(f, PrepSpec{})
	var de *DataError
	if !errors.As(err, &de) || de.Column != "c0" || de.Count != missing["c0"] {
		t.Errorf("missing values without imputation: %v, want a DataError naming c0 and %d", err, missing["c0"])
	}

	_, X, rep = prepFit(t, f, PrepSpec{Impute: "drop", Scale: "none"})
	complete := 0
	for i, r := range rows {
		ok := true
		for _, v := range r {
			ok = ok && !math.IsNaN(v)
		}
		if ok {
			if rep.Kept[complete] != i {
				t.Fatalf("kept[%d] = %d, want %d", complete, rep.Kept[complete], i)
			}
			complete++
		}
	}
	if X.Rows != complete || len(rep.Kept) != complete || rep.Dropped != len(rows)-complete {
		t.Errorf("drop: %d rows, kept %d, dropped %d; want %d complete rows", X.Rows, len(rep.Kept), rep.Dropped, complete)
	}
}

// prepAxesAgree compares principal axes up to sign and tells whether the signs also match sklearn's.
func prepAxesAgree(t *testing.T, what string, got *Matrix, want [][]float64) (sameSign bool) {
	t.Helper()
	sameSign = true
	for c := range want {
		sign := 1.0
		if got.At(c, 0)*want[c][0] < 0 {
			sign, sameSign = -1, false
		}
		for j := range want[c] {
			if !prepClose(sign*got.At(c, j), want[c][j]) {
				t.Errorf("%s component %d[%d] = %.17g, want ±%.17g", what, c, j, got.At(c, j), want[c][j])
			}
		}
	}
	return sameSign
}

func TestPrepPCAMatchesSklearn(t *testing.T) {
	g := prepLoadWine(t)
	f := prepFrameOf(g.X)

	p, X, rep := prepFit(t, f, PrepSpec{PCA: &PCASpec{Components: 2}})
	if !prepAxesAgree(t, "pca2", p.PCA.Components, g.PCA2Components) {
		t.Errorf("pca2 signs differ from sklearn's svd_flip")
	}
	prepAssertVector(t, "pca2 explained variance", rep.ExplainedVariance, g.PCA2ExplainedVariance)
	prepAssertVector(t, "pca2 explained variance ratio", rep.ExplainedVarianceRatio, g.PCA2ExplainedVarianceRatio)
	prepAssertMatrix(t, "pca2 transformed", X, g.PCA2Transformed)
	if !reflect.DeepEqual(rep.Features, []string{"pc1", "pc2"}) {
		t.Errorf("features %v", rep.Features)
	}

	_, X, rep = prepFit(t, f, PrepSpec{PCA: &PCASpec{Variance: 0.9}})
	if X.Cols != g.PCA90NComponents {
		t.Errorf("pca 0.9: %d components, want %d", X.Cols, g.PCA90NComponents)
	}
	prepAssertVector(t, "pca90 ratio", rep.ExplainedVarianceRatio, g.PCA90ExplainedVarianceRati)

	_, _, rep = prepFit(t, f, PrepSpec{PCA: &PCASpec{Components: 13}})
	prepAssertVector(t, "pca all explained variance", rep.ExplainedVariance, g.PCAAllExplainedVariance)

	// The threshold is strict, as sklearn's searchsorted(side="right"): a ratio exactly reached is not enough.
	ratio := []float64{0.5, 0.25, 0.25}
	if k := componentsForVariance(ratio, 0.75); k != 3 {
		t.Errorf("componentsForVariance(0.75) = %d, want 3", k)
	}
	if k := componentsForVariance(ratio, 0.74); k != 2 {
		t.Errorf("componentsForVariance(0.74) = %d, want 2", k)
	}
}

// TestPrepApplyReplaysFit checks that Apply, on the fitting data, gives bit-identical output, also after a
// JSON round trip of the Prep, and that it does not refit on new data.
func TestPrepApplyReplaysFit(t *testing.T) {
	g := prepLoadWine(t)
	f := prepFrameOf(g.X)
	f.Columns = append(f.Columns, Column{Name: "country", Text: prepCountries(len(g.X)), Null: make([]bool, len(g.X))})
	f.Columns[len(f.Columns)-1].Null[3] = true
	f.Columns[0].Num[5] = math.NaN()
	spec := PrepSpec{
		Impute: "median",
		Scale:  "robust",
		Transform: map[string][]Transform{
			"c1":      {{Kind: "clip", Lower: 0.1, Upper: 0.9}, {Kind: "log1p"}},
			"c4":      {{Kind: "winsorize", Lower: 0.02}},
			"country": {{Kind: "onehot"}},
		},
		PCA: &PCASpec{Variance: 0.8},
	}
	p, X, rep := prepFit(t, f, spec)
	if rep.Imputed["c0"] != 1 || rep.Imputed["country"] != 1 {
		t.Errorf("imputed %v", rep.Imputed)
	}
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Prep
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*p, back) {
		t.Fatalf("Prep does not round-trip through JSON:\n%+v\n%+v", *p, back)
	}
	for _, q := range []*Prep{p, &back} {
		Y, rep2, err := q.Apply(f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(X, Y) {
			t.Fatalf("Apply on the fitting data differs from FitPrep's output")
		}
		if !reflect.DeepEqual(rep.Features, rep2.Features) {
			t.Errorf("features %v vs %v", rep.Features, rep2.Features)
		}
	}

	// New data: a single row with an unseen category and a missing value, no refit.
	one := &Frame{}
	for _, c := range f.Columns {
		if c.Text != nil {
			one.Columns = append(one.Columns, Column{Name: c.Name, Text: []string{"Atlantis"}})
			continue
		}
		one.Columns = append(one.Columns, Column{Name: c.Name, Num: []float64{c.Num[0]}})
	}
	one.Columns[2].Num[0] = math.NaN()
	Y, rep2, err := p.Apply(one)
	if err != nil {
		t.Fatal(err)
	}
	if Y.Rows != 1 || Y.Cols != X.Cols || rep2.UnknownCategories["country"] != 1 || rep2.Imputed["c2"] != 1 {
		t.Errorf("apply to one row: %dx%d, report %+v", Y.Rows, Y.Cols, rep2)
	}
}

func prepCountries(n int) []string {
	names := []string{"UK", "FR", "DE", "ES"}
	out := make([]string, n)
	for i := range out {
		out[i] = names[(i*7)%len(names)]
	}
	return out
}

func TestPrepOneHot(t *testing.T) {
	f := &Frame{Columns: []Column{
		{Name: "spend", Num: []float64{1, 2, 3, 4}},
		{Name: "country", Text: []string{"UK", "FR", "", "UK"}, Null: []bool{false, false, true, false}},
	}}
	p, X, rep := prepFit(t, f, PrepSpec{Scale: "none", Transform: map[string][]Transform{"country": {{Kind: "onehot"}}}})
	wantFeatures := []string{"spend", "country=FR", "country=UK"}
	if !reflect.DeepEqual(rep.Features, wantFeatures) || !reflect.DeepEqual(p.Features, wantFeatures) {
		t.Errorf("features %v", rep.Features)
	}
	want := []float64{1, 0, 1, 2, 1, 0, 3, 0, 0, 4, 0, 1}
	if !reflect.DeepEqual(X.Data, want) {
		t.Errorf("one-hot matrix %v, want %v", X.Data, want)
	}
	if rep.Imputed["country"] != 1 {
		t.Errorf("missing text not counted: %v", rep.Imputed)
	}
	// Scaling leaves one-hot columns at 0/1.
	_, X, _ = prepFit(t, f, PrepSpec{Transform: map[string][]Transform{"country": {{Kind: "onehot"}}}})
	for i := 0; i < X.Rows; i++ {
		if v := X.At(i, 1) + X.At(i, 2); v != 0 && v != 1 {
			t.Errorf("row %d one-hot values scaled: %v", i, X.Row(i))
		}
	}
	// Dropping rows with missing values drops missing text too.
	_, X, rep = prepFit(t, f, PrepSpec{Impute: "drop", Scale: "none", Transform: map[string][]Transform{"country": {{Kind: "onehot"}}}})
	if X.Rows != 3 || !reflect.DeepEqual(rep.Kept, []int{0, 1, 3}) || rep.Dropped != 1 {
		t.Errorf("drop with missing text: rows %d kept %v", X.Rows, rep.Kept)
	}
}

func TestPrepConstantColumnWarns(t *testing.T) {
	f := &Frame{Columns: []Column{
		{Name: "flat", Num: []float64{7, 7, 7, 7}},
		{Name: "x", Num: []float64{1, 2, 3, 4}},
	}}
	for _, scale := range []string{"standard", "minmax", "robust"} {
		_, X, rep := prepFit(t, f, PrepSpec{Scale: scale})
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "flat") {
			t.Errorf("%s: warnings %v, want one naming the constant column", scale, rep.Warnings)
		}
		for i := 0; i < X.Rows; i++ {
			if X.At(i, 0) != 0 {
				t.Errorf("%s: constant column scaled to %v, want 0", scale, X.At(i, 0))
			}
		}
	}
	// A robust scale with a zero IQR but not constant (most values tied) also falls back to 1.
	g := &Frame{Columns: []Column{{Name: "tied", Num: []float64{1, 1, 1, 1, 1, 1, 9}}}}
	_, X, rep := prepFit(t, g, PrepSpec{Scale: "robust"})
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "interquartile") || X.At(6, 0) != 8 {
		t.Errorf("zero IQR: warnings %v, last value %v", rep.Warnings, X.At(6, 0))
	}
}

// TestPrepBadInput checks that bad frames and specs give errors, never panics or non-finite output.
func TestPrepBadInput(t *testing.T) {
	num := func(name string, v ...float64) Column { return Column{Name: name, Num: v} }
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name string
		f    *Frame
		s    PrepSpec
		want string // substring of the error
	}{
		{"nil frame", nil, PrepSpec{}, "no columns"},
		{"no columns", &Frame{}, PrepSpec{}, "no columns"},
		{"no rows", &Frame{Columns: []Column{num("a")}}, PrepSpec{}, "no rows"},
		{"ragged", &Frame{Columns: []Column{num("a", 1, 2), num("b", 1)}}, PrepSpec{}, "has 1 rows"},
		{"duplicate name", &Frame{Columns: []Column{num("a", 1), num("a", 2)}}, PrepSpec{}, "twice"},
		{"inf", &Frame{Columns: []Column{num("m", 1, inf, -inf)}}, PrepSpec{Impute: "mean"}, "column m: 2 values are +Inf or -Inf"},
		{"all missing", &Frame{Columns: []Column{num("a", 1, 2), num("m", nan, nan)}}, PrepSpec{Impute: "mean"}, "column m: 2 values are all missing"},
		{"all missing text", &Frame{Columns: []Column{{Name: "t", Text: []string{"", ""}, Null: []bool{true, true}}}},
			PrepSpec{Transform: map[string][]Transform{"t": {{Kind: "onehot"}}}}, "column t: 2 values are all missing"},
		{"missing, no imputation", &Frame{Columns: []Column{num("m", 1, nan, nan)}}, PrepSpec{}, "column m: 2 values are missing"},
		{"drop everything", &Frame{Columns: []Column{num("a", 1, nan), num("b", nan, 2)}}, PrepSpec{Impute: "drop"}, "none left"},
		{"log1p domain", &Frame{Columns: []Column{num("r", -1, -3, 0)}}, PrepSpec{Transform: map[string][]Transform{"r": {{Kind: "log1p"}}}}, "column r: 2 values are <= -1"},
		{"text given log1p", &Frame{Columns: []Column{{Name: "t", Text: []string{"a"}}}}, PrepSpec{Transform: map[string][]Transform{"t": {{Kind: "log1p"}}}}, "text column t"},
		{"text without onehot", &Frame{Columns: []Column{{Name: "t", Text: []string{"a"}}}}, PrepSpec{}, "text column t"},
		{"numeric given onehot", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"n": {{Kind: "onehot"}}}}, "column n is numeric"},
		{"transform of unknown column", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"ghost": {{Kind: "log1p"}}}}, "column ghost"},
		{"unknown transform", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"n": {{Kind: "sqrt"}}}}, "unknown transform"},
		{"clip out of range", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"n": {{Kind: "clip", Lower: 0.9, Upper: 0.1}}}}, "clip quantiles"},
		{"winsorize p", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"n": {{Kind: "winsorize", Lower: 0.6}}}}, "winsorize"},
		{"winsorize upper", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Transform: map[string][]Transform{"n": {{Kind: "winsorize", Lower: 0.1, Upper: 0.8}}}}, "winsorize upper"},
		{"unknown impute", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Impute: "mode"}, "unknown impute"},
		{"unknown scale", &Frame{Columns: []Column{num("n", 1)}}, PrepSpec{Scale: "log"}, "unknown scale"},
		{"pca both", &Frame{Columns: []Column{num("n", 1, 2)}}, PrepSpec{PCA: &PCASpec{Components: 1, Variance: 0.5}}, "exactly one"},
		{"pca neither", &Frame{Columns: []Column{num("n", 1, 2)}}, PrepSpec{PCA: &PCASpec{}}, "exactly one"},
		{"pca variance 1", &Frame{Columns: []Column{num("n", 1, 2)}}, PrepSpec{PCA: &PCASpec{Variance: 1}}, "below 1"},
		{"pca too many", &Frame{Columns: []Column{num("n", 1, 2)}}, PrepSpec{PCA: &PCASpec{Components: 2}}, "at most 1"},
		{"pca one row", &Frame{Columns: []Column{num("n", 1), num("m", 2)}}, PrepSpec{PCA: &PCASpec{Components: 1}}, "at least 2 rows"},
		{"pca identical rows", &Frame{Columns: []Column{num("n", 1, 1), num("m", 2, 2)}}, PrepSpec{PCA: &PCASpec{Components: 1}}, "no variance"},
		{"overflow", &Frame{Columns: []Column{num("big", -1.7e308, 1.7e308)}}, PrepSpec{Scale: "minmax"}, "column big"},
		{"pca variance overflow", &Frame{Columns: []Column{num("a", -1e300, 1e300), num("b", 1, 2)}},
			PrepSpec{Scale: "none", PCA: &PCASpec{Components: 1}}, "not finite"},
		{"feature name clash", &Frame{Columns: []Column{num("t=a", 1), {Name: "t", Text: []string{"a"}}}},
			PrepSpec{Transform: map[string][]Transform{"t": {{Kind: "onehot"}}}}, "two output features"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, X, rep, err := FitPrep(c.f, c.s)
			if err == nil {
				t.Fatalf("no error; got %v %v %v", p, X, rep)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestPrepDegenerateButValid covers inputs that are odd but fine: one row, identical rows, PCA on values
// at the ends of the float64 range.
func TestPrepDegenerateButValid(t *testing.T) {
	tiny := &Frame{Columns: []Column{
		{Name: "a", Num: []float64{5e-324, 0, 1e-323, 0}},
		{Name: "b", Num: []float64{0, 5e-324, 0, 1.5e-323}},
	}}
	_, X, rep := prepFit(t, tiny, PrepSpec{Scale: "none", PCA: &PCASpec{Components: 2}})
	if math.Abs(rep.ExplainedVarianceRatio[0]+rep.ExplainedVarianceRatio[1]-1) > 1e-12 {
		t.Errorf("subnormal PCA ratios %v", rep.ExplainedVarianceRatio)
	}
	for _, v := range X.Data {
		if !finite(v) {
			t.Fatalf("subnormal PCA output %v", X.Data)
		}
	}

	for _, f := range []*Frame{
		{Columns: []Column{{Name: "a", Num: []float64{3}}}},
		{Columns: []Column{{Name: "a", Num: []float64{3, 3, 3}}, {Name: "b", Num: []float64{-1, -1, -1}}}},
	} {
		for _, scale := range []string{"standard", "minmax", "robust", "none"} {
			_, X, _ := prepFit(t, f, PrepSpec{Scale: scale, Transform: map[string][]Transform{"a": {{Kind: "clip", Lower: 0, Upper: 1}, {Kind: "log1p"}}}})
			for _, v := range X.Data {
				if !finite(v) {
					t.Fatalf("%s: non-finite output %v", scale, X.Data)
				}
			}
		}
	}
}

func TestPrepApplyRejects(t *testing.T) {
	f := &Frame{Columns: []Column{{Name: "a", Num: []float64{1, 2, 3}}, {Name: "b", Num: []float64{0, 5, 1}}}}
	p, _, _ := prepFit(t, f, PrepSpec{Transform: map[string][]Transform{"b": {{Kind: "log1p"}}}})
	cases := []struct {
		name string
		f    *Frame
		want string
	}{
		{"missing column", &Frame{Columns: []Column{{Name: "a", Num: []float64{1}}}}, "column b"},
		{"kind changed", &Frame{Columns: []Column{{Name: "a", Num: []float64{1}}, {Name: "b", Text: []string{"x"}}}}, "changed kind"},
		{"missing value", &Frame{Columns: []Column{{Name: "a", Num: []float64{math.NaN()}}, {Name: "b", Num: []float64{1}}}}, "column a: 1 value is missing"},
		{"inf", &Frame{Columns: []Column{{Name: "a", Num: []float64{1}}, {Name: "b", Num: []float64{math.Inf(-1)}}}}, "column b: 1 value is +Inf"},
		{"log1p domain", &Frame{Columns: []Column{{Name: "a", Num: []float64{1}}, {Name: "b", Num: []float64{-2}}}}, "column b: 1 value is <= -1"},
	}
	for _, c := range cases {
		if _, _, err := p.Apply(c.f); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
	// Damaged stored preprocessing: errors, not panics.
	damaged := []func(q *Prep){
		func(q *Prep) { q.Columns = nil },
		func(q *Prep) { q.Columns[0].Scale = 0 },
		func(q *Prep) { q.Scale = "weird" },
		func(q *Prep) { q.Features = q.Features[:1] },
		func(q *Prep) { q.Columns[1].Transforms[0].Kind = "sqrt" },
		func(q *Prep) { q.PCA = &PCAModel{Components: &Matrix{Rows: 1, Cols: 5}} },
	}
	for i, damage := range damaged {
		raw, _ := json.Marshal(p)
		var q Prep
		_ = json.Unmarshal(raw, &q)
		damage(&q)
		if _, _, err := q.Apply(f); err == nil {
			t.Errorf("damage %d: no error", i)
		}
	}
	var nilPrep *Prep
	if _, _, err := nilPrep.Apply(f); err == nil {
		t.Error("nil Prep: no error")
	}
}
