package algorithms

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
)

// Preprocessing turns a Frame into the Matrix the clustering methods consume, in a fixed order:
// impute -> transforms -> scale -> PCA, each step fitted on the data it is given (the output of the step
// before). FitPrep fits and applies; Prep.Apply replays the fitted steps on new data without refitting, so a
// stored Prep scores later runs consistently. Every step follows the scikit-learn estimator named in its
// file (impute.go, transform.go, scale.go, pca.go); the golden tests hold it to that.
//
// Columns are processed one at a time, in parallel across columns, into column-major staging slices that
// are interleaved into the row-major output at the end: no per-row allocation, one sorted copy per column
// where a quantile is needed.

// PrepSpec says how to prepare a frame.
type PrepSpec struct {
	// Impute is "" (a missing numeric value is an error naming the column and count), "mean", "median",
	// "zero", or "drop" (drop rows with any missing value, text included).
	Impute string
	// Transform lists, by input column name, the transforms applied in order after imputation.
	Transform map[string][]Transform
	// Scale is "standard" ("" means standard), "minmax", "robust" or "none". One-hot columns are never
	// scaled: they stay 0/1, as in the usual ColumnTransformer of StandardScaler + OneHotEncoder.
	Scale string
	// PCA, when set, projects the scaled features on their principal components.
	PCA *PCASpec
}

// Transform is one per-column transform.
//
//   - log1p: log(1+x); a value <= -1 is an error.
//   - clip: clip to the column's Lower and Upper quantiles (in [0,1], numpy's linear interpolation).
//   - winsorize: clip to the quantiles p and 1-p, with p = Lower; Upper must be 0 or 1-p.
//   - onehot: one 0/1 column per category of a text column.
type Transform struct {
	Kind         string
	Lower, Upper float64
}

// PCASpec chooses how many principal components to keep: exactly one of the two fields is > 0.
type PCASpec struct {
	// Components is the number of components to keep.
	Components int
	// Variance, in (0,1), keeps the fewest components whose cumulative explained variance ratio is strictly
	// greater than it (scikit-learn's PCA(n_components=float)).
	Variance float64
}

// Imputation strategies and scalers by their spec names.
const (
	ImputeNone   = ""
	ImputeMean   = "mean"
	ImputeMedian = "median"
	ImputeZero   = "zero"
	ImputeDrop   = "drop"

	ScaleStandard = "standard"
	ScaleMinMax   = "minmax"
	ScaleRobust   = "robust"
	ScaleNone     = "none"
)

// MaxOneHotCategories bounds the distinct values of a one-hot encoded column: beyond it the encoded
// columns would dominate both the distances and the memory (rows × categories), so the column should be
// bucketed before segmentation.
const MaxOneHotCategories = 100

// Prep is a fitted preprocessing. Its fields are exported and JSON-tagged only, and every number in it is
// finite, so it round-trips through JSON exactly and is stored with each version.
type Prep struct {
	Impute string `json:"impute"`
	Scale  string `json:"scale"`
	// Columns are the input columns, in the order of the frame the Prep was fitted on.
	Columns []PrepColumn `json:"columns"`
	// PCA is the fitted projection; nil without PCA.
	PCA *PCAModel `json:"pca,omitempty"`
	// Features names the output columns.
	Features []string `json:"features"`
}

// PrepColumn is the fitted preparation of one input column.
type PrepColumn struct {
	Name string `json:"name"`
	// Text marks a text column, which is one-hot encoded over Categories.
	Text bool `json:"text"`
	// Fill replaces missing values (mean, median and zero imputation).
	Fill float64 `json:"fill"`
	// Transforms are applied in order after imputation.
	Transforms []FittedTransform `json:"transforms,omitempty"`
	// Center and Scale standardise the transformed column: (x - Center) / Scale.
	Center float64 `json:"center"`
	Scale  float64 `json:"scale"`
	// Categories are a text column's fitted categories, sorted; each is one output column.
	Categories []string `json:"categories,omitempty"`
}

// PrepReport tells what preparing a frame did.
type PrepReport struct {
	// Features names the output columns: input names, "column=category" for one-hot columns, "pc1".."pcN"
	// after PCA.
	Features []string `json:"features"`
	// Imputed counts, by column, the missing values filled (missing text counts as encoded all-zero).
	Imputed map[string]int `json:"imputed,omitempty"`
	// Dropped is the number of rows dropped for missing values (impute: drop).
	Dropped int `json:"dropped"`
	// Kept lists the input row index of each output row; nil when no row was dropped. It is for the caller
	// to map rows back, not for the report's readers: serialised, it would put an index per row into every
	// stored version's summary (megabytes at a million rows).
	Kept []int `json:"-"`
	// ExplainedVariance and ExplainedVarianceRatio describe the kept principal components (PCA only).
	ExplainedVariance      []float64 `json:"explained_variance,omitempty"`
	ExplainedVarianceRatio []float64 `json:"explained_variance_ratio,omitempty"`
	// UnknownCategories counts, by column, text values not seen at fit time, encoded as all zeros (Apply).
	UnknownCategories map[string]int `json:"unknown_categories,omitempty"`
	// Warnings are things the user should know: constant columns, zero interquartile ranges...
	Warnings []string `json:"warnings,omitempty"`
}

// FitPrep fits the preprocessing of s on f and returns it with the prepared matrix and a report.
func FitPrep(f *Frame, s PrepSpec) (*Prep, *Matrix, *PrepReport, error) {
	if err := s.validate(); err != nil {
		return nil, nil, nil, err
	}
	if err := validateFrame(f); err != nil {
		return nil, nil, nil, err
	}
	p, err := planPrep(f, s)
	if err != nil {
		return nil, nil, nil, err
	}
	run := &prepRun{prep: p, fitting: true, columns: f.Columns, pca: s.PCA}
	X, rep, err := run.run()
	if err != nil {
		return nil, nil, nil, err
	}
	if err := p.checkFinite(); err != nil {
		return nil, nil, nil, err
	}
	return p, X, rep, nil
}

// Apply prepares new data with the fitted parameters (no refit). Columns are found by name; extra
// columns are ignored.
func (p *Prep) Apply(f *Frame) (*Matrix, *PrepReport, error) {
	if p == nil {
		return nil, nil, errors.New("prep: no fitted preprocessing")
	}
	if err := p.validate(); err != nil {
		return nil, nil, err
	}
	if err := validateFrame(f); err != nil {
		return nil, nil, err
	}
	byName := make(map[string]int, len(f.Columns))
	for j, c := range f.Columns {
		byName[c.Name] = j
	}
	cols := make([]Column, len(p.Columns))
	for j, pc := range p.Columns {
		k, ok := byName[pc.Name]
		if !ok {
			return nil, nil, fmt.Errorf("prep: column %s, fitted on, is missing from the data", pc.Name)
		}
		c := f.Columns[k]
		if pc.Text != (c.Text != nil) { // validateFrame made every column non-empty and of one kind
			return nil, nil, fmt.Errorf("prep: column %s has changed kind (text or numeric) since it was fitted", pc.Name)
		}
		cols[j] = c
	}
	// A run that is not fitting only reads p, so concurrent Applies of one Prep are safe.
	run := &prepRun{prep: p, fitting: false, columns: cols}
	return run.run()
}

// validate checks a spec before any data is read.
func (s PrepSpec) validate() error {
	switch s.Impute {
	case ImputeNone, ImputeMean, ImputeMedian, ImputeZero, ImputeDrop:
	default:
		return fmt.Errorf("prep: unknown impute %q (known: mean, median, zero, drop, or empty for none)", s.Impute)
	}
	switch s.Scale {
	case "", ScaleStandard, ScaleMinMax, ScaleRobust, ScaleNone:
	default:
		return fmt.Errorf("prep: unknown scale %q (known: standard, minmax, robust, none)", s.Scale)
	}
	if s.PCA != nil {
		c, v := s.PCA.Components, s.PCA.Variance
		switch {
		case c < 0 || v < 0 || v != v:
			return fmt.Errorf("prep: pca components (%d) and variance (%g) must not be negative", c, v)
		case (c > 0) == (v > 0):
			return errors.New("prep: pca needs exactly one of components and variance")
		case v >= 1:
			return fmt.Errorf("prep: pca variance %g must be below 1", v)
		}
	}
	return nil
}

// validateFrame checks the frame's shape: at least one column and one row, equal lengths, one kind each.
func validateFrame(f *Frame) error {
	if f == nil || len(f.Columns) == 0 {
		return errors.New("prep: the frame has no columns")
	}
	n := f.Len()
	seen := make(map[string]bool, len(f.Columns))
	for _, c := range f.Columns {
		if seen[c.Name] {
			return fmt.Errorf("prep: column %s appears twice", c.Name)
		}
		seen[c.Name] = true
		if c.Num != nil && c.Text != nil {
			return fmt.Errorf("prep: column %s is both numeric and text", c.Name)
		}
		l := len(c.Num) + len(c.Text)
		if l != n {
			return fmt.Errorf("prep: column %s has %d rows, column %s has %d", c.Name, l, f.Columns[0].Name, n)
		}
		if c.Null != nil && len(c.Null) != len(c.Text) {
			return fmt.Errorf("prep: column %s has %d null flags for %d values", c.Name, len(c.Null), len(c.Text))
		}
	}
	if n == 0 {
		return ErrEmptyInput
	}
	return nil
}

// planPrep checks the spec against the frame and lays out the columns to fit.
func planPrep(f *Frame, s PrepSpec) (*Prep, error) {
	p := &Prep{Impute: s.Impute, Scale: s.Scale}
	if p.Scale == "" {
		p.Scale = ScaleStandard
	}
	inFrame := make(map[string]bool, len(f.Columns))
	for _, c := range f.Columns {
		inFrame[c.Name] = true
	}
	var unknown []string
	for name := range s.Transform {
		if !inFrame[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("prep: transform for column %s, which is not among the features", unknown[0])
	}
	for _, c := range f.Columns {
		pc := PrepColumn{Name: c.Name, Text: c.Text != nil, Scale: 1}
		ts := s.Transform[c.Name]
		if pc.Text {
			if len(ts) != 1 || ts[0].Kind != "onehot" {
				return nil, fmt.Errorf("prep: text column %s needs exactly one transform, onehot", c.Name)
			}
		} else {
			for _, t := range ts {
				ft, err := planTransform(c.Name, t)
				if err != nil {
					return nil, err
				}
				pc.Transforms = append(pc.Transforms, ft)
			}
		}
		p.Columns = append(p.Columns, pc)
	}
	return p, nil
}

// encodedFeatures names the columns before PCA: numeric columns by name, one-hot ones as "name=category".
func (p *Prep) encodedFeatures() []string {
	var names []string
	for _, pc := range p.Columns {
		if !pc.Text {
			names = append(names, pc.Name)
			continue
		}
		for _, c := range pc.Categories {
			names = append(names, pc.Name+"="+c)
		}
	}
	return names
}

// outputFeatures names the output columns.
func (p *Prep) outputFeatures() []string {
	if p.PCA == nil {
		return p.encodedFeatures()
	}
	return pcaFeatureNames(p.PCA.Components.Rows)
}

// validate checks a Prep that may have come from storage, so that Apply never panics on a damaged one.
func (p *Prep) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("prep: stored preprocessing is invalid: "+format, a...)
	}
	switch p.Impute {
	case ImputeNone, ImputeMean, ImputeMedian, ImputeZero, ImputeDrop:
	default:
		return bad("impute %q", p.Impute)
	}
	switch p.Scale {
	case ScaleStandard, ScaleMinMax, ScaleRobust, ScaleNone:
	default:
		return bad("scale %q", p.Scale)
	}
	if len(p.Columns) == 0 {
		return bad("no columns")
	}
	seen := map[string]bool{}
	width := 0
	for _, pc := range p.Columns {
		if seen[pc.Name] {
			return bad("column %s twice", pc.Name)
		}
		seen[pc.Name] = true
		if pc.Text {
			if len(pc.Categories) == 0 || !sort.StringsAreSorted(pc.Categories) {
				return bad("column %s has no sorted categories", pc.Name)
			}
			width += len(pc.Categories)
			continue
		}
		width++
		if pc.Scale == 0 {
			return bad("column %s has scale 0", pc.Name)
		}
		for _, t := range pc.Transforms {
			switch t.Kind {
			case "log1p", "clip", "winsorize":
			default:
				return bad("column %s has transform %q", pc.Name, t.Kind)
			}
		}
	}
	if err := p.checkFinite(); err != nil {
		return err
	}
	if m := p.PCA; m != nil {
		c := m.Components
		if c == nil || c.Rows < 1 || c.Cols != width || len(c.Data) != c.Rows*c.Cols || len(m.Mean) != width {
			return bad("pca does not match the %d encoded features", width)
		}
	}
	want := p.outputFeatures()
	if len(want) != len(p.Features) {
		return bad("%d features listed for %d output columns", len(p.Features), len(want))
	}
	for i := range want {
		if want[i] != p.Features[i] {
			return bad("feature %d is %q, expected %q", i, p.Features[i], want[i])
		}
	}
	return nil
}

// checkFinite makes sure every fitted number is finite, which JSON needs and Apply relies on.
func (p *Prep) checkFinite() error {
	for _, pc := range p.Columns {
		vals := []float64{pc.Fill, pc.Center, pc.Scale}
		for _, t := range pc.Transforms {
			vals = append(vals, t.Lower, t.Upper, t.LowerQuantile, t.UpperQuantile)
		}
		for _, v := range vals {
			if !finite(v) {
				return &DataError{Column: pc.Name, Reason: "values are too large for float64 arithmetic (a fitted statistic overflowed)"}
			}
		}
	}
	if m := p.PCA; m != nil {
		for _, group := range [][]float64{m.Mean, m.ExplainedVariance, m.ExplainedVarianceRatio} {
			for _, v := range group {
				if !finite(v) {
					return &DataError{Reason: "pca: a fitted statistic is not finite"}
				}
			}
		}
		if m.Components != nil {
			for _, v := range m.Components.Data {
				if !finite(v) {
					return &DataError{Reason: "pca: a fitted component is not finite"}
				}
			}
		}
	}
	return nil
}

// prepRun is one pass of the preprocessing over a frame, fitting (FitPrep) or applying (Apply).
type prepRun struct {
	prep    *Prep
	fitting bool
	// columns are the frame's columns in prep.Columns order.
	columns []Column
	// pca is the spec to fit (fitting only).
	pca *PCASpec

	rows    int   // output rows
	kept    []int // input row of each output row; nil when all rows are kept
	workers int
	// scratch holds one sort buffer per worker.
	scratch [][]float64
}

// stagedColumn is one prepared input column before interleaving: numeric values, or category codes (-1 for
// none) of a one-hot column.
type stagedColumn struct {
	values   []float64
	codes    []int32
	warnings []string
	imputed  int
	unknown  int
}

// run prepares the frame in phases: scan every column (missing values, Inf), choose the rows (drop),
// prepare each column into staging, interleave the staged columns into the matrix, project it (PCA).
func (r *prepRun) run() (*Matrix, *PrepReport, error) {
	p := r.prep
	n := len(r.columns[0].Num) + len(r.columns[0].Text)
	r.workers = min(runtime.GOMAXPROCS(0), len(r.columns))
	r.scratch = make([][]float64, r.workers)

	missing := make([]int, len(r.columns))
	err := forEachColumn(len(r.columns), r.workers, func(_, j int) error {
		var err error
		missing[j], err = r.scanColumn(j)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	rep := &PrepReport{}
	r.rows = n
	if p.Impute == ImputeDrop {
		r.kept = keptRows(r.columns, missing, n)
		if r.kept != nil {
			r.rows = len(r.kept)
			rep.Dropped = n - r.rows
			rep.Kept = r.kept
		}
		if r.rows == 0 {
			return nil, nil, &DataError{Reason: fmt.Sprintf("prep: all %d rows have a missing value, none left after dropping them", n)}
		}
	}

	staged := make([]stagedColumn, len(r.columns))
	err = forEachColumn(len(r.columns), r.workers, func(w, j int) error {
		if p.Columns[j].Text {
			return r.textColumn(j, &staged[j])
		}
		return r.numericColumn(w, j, missing[j], &staged[j])
	})
	if err != nil {
		return nil, nil, err
	}
	r.scratch = nil
	r.reportColumns(staged, rep)
	if r.fitting {
		p.Features = p.encodedFeatures()
		if dup := firstDuplicate(p.Features); dup != "" {
			return nil, nil, fmt.Errorf("prep: two output features are named %q; rename a column", dup)
		}
	}
	X := r.interleave(staged)
	staged = nil

	X, err = r.project(X, rep)
	if err != nil {
		return nil, nil, err
	}
	rep.Features = append([]string(nil), p.Features...)
	return X, rep, nil
}

// reportColumns gathers the staged columns' warnings and counts into the report, in column order.
func (r *prepRun) reportColumns(staged []stagedColumn, rep *PrepReport) {
	for j, s := range staged {
		name := r.prep.Columns[j].Name
		rep.Warnings = append(rep.Warnings, s.warnings...)
		if s.imputed > 0 {
			if rep.Imputed == nil {
				rep.Imputed = map[string]int{}
			}
			rep.Imputed[name] = s.imputed
		}
		if s.unknown > 0 {
			if rep.UnknownCategories == nil {
				rep.UnknownCategories = map[string]int{}
			}
			rep.UnknownCategories[name] = s.unknown
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("column %s: %d values are categories not seen when fitting, encoded as all zeros", name, s.unknown))
		}
	}
}

// project fits (when fitting with a PCA spec) and applies the PCA, if any.
func (r *prepRun) project(X *Matrix, rep *PrepReport) (*Matrix, error) {
	p := r.prep
	switch {
	case r.fitting && r.pca != nil:
		model, projected, err := fitPCA(X, *r.pca)
		if err != nil {
			return nil, err
		}
		p.PCA = model
		p.Features = p.outputFeatures()
		X = projected
	case p.PCA != nil:
		X = p.PCA.transform(X)
	default:
		return X, nil
	}
	rep.ExplainedVariance = append([]float64(nil), p.PCA.ExplainedVariance...)
	rep.ExplainedVarianceRatio = append([]float64(nil), p.PCA.ExplainedVarianceRatio...)
	for _, v := range X.Data {
		if !finite(v) {
			return nil, &DataError{Reason: "pca: projected values are not finite (input too large for float64 arithmetic)"}
		}
	}
	return X, nil
}

// scratchBuffer returns worker w's scratch buffer for partially sorted copies, of length r.rows at least.
func (r *prepRun) scratchBuffer(w int) []float64 {
	if cap(r.scratch[w]) < len(r.columns[0].Num)+len(r.columns[0].Text) {
		r.scratch[w] = make([]float64, len(r.columns[0].Num)+len(r.columns[0].Text))
	}
	return r.scratch[w]
}

// interleave writes the staged columns into a row-major matrix, a block of rows at a time so that both the
// staged columns and the output rows stay in cache.
func (r *prepRun) interleave(staged []stagedColumn) *Matrix {
	width := 0
	offsets := make([]int, len(staged))
	for j, pc := range r.prep.Columns {
		offsets[j] = width
		if pc.Text {
			width += len(pc.Categories)
		} else {
			width++
		}
	}
	X := NewMatrix(r.rows, width)
	const block = 2048
	blocks := (r.rows + block - 1) / block
	_ = forEachColumn(blocks, r.workers, func(_, b int) error {
		lo, hi := b*block, min((b+1)*block, r.rows)
		for j, s := range staged {
			off := offsets[j]
			if s.codes != nil {
				for i, c := range s.codes[lo:hi] {
					if c >= 0 {
						X.Data[(lo+i)*width+off+int(c)] = 1
					}
				}
				continue
			}
			for i, v := range s.values[lo:hi] {
				X.Data[(lo+i)*width+off] = v
			}
		}
		return nil
	})
	return X
}

// forEachColumn calls fn(worker, j) for j in [0,count) on up to workers goroutines and returns the error of
// the lowest j that failed, so the error reported does not depend on scheduling.
func forEachColumn(count, workers int, fn func(worker, j int) error) error {
	errs := make([]error, count)
	parallelFor(count, workers, func(w, j int) { errs[j] = fn(w, j) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// firstDuplicate returns the first name that occurs twice, or "".
func firstDuplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}
