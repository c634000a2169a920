package algorithms

import (
	"fmt"
	"math"
	"sort"
)

// Per-column transforms, applied after imputation and before scaling.
//
//   - log1p is numpy's log1p; a value <= -1 has no finite logarithm and is an error naming the column and
//     count rather than a silent -Inf or NaN.
//   - clip fits its bounds as np.quantile(column, q) (linear interpolation) on the column as it is at that
//     step, then applies np.clip; the fitted bounds, not the quantiles, are replayed by Apply.
//   - winsorize is clip at the quantiles p and 1-p.
//   - onehot encodes a text column like OneHotEncoder(handle_unknown="ignore"): one 0/1 column per fitted
//     category, sorted; an unseen category or a missing value is all zeros.

// FittedTransform is a transform with its fitted parameters.
type FittedTransform struct {
	Kind string `json:"kind"`
	// LowerQuantile and UpperQuantile are the quantiles asked for (clip, winsorize).
	LowerQuantile float64 `json:"lower_quantile"`
	UpperQuantile float64 `json:"upper_quantile"`
	// Lower and Upper are the fitted bounds, in the column's units at that step (clip, winsorize).
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

// planTransform checks a numeric column's transform and turns it into one to fit.
func planTransform(column string, t Transform) (FittedTransform, error) {
	ft := FittedTransform{Kind: t.Kind}
	inUnit := func(q float64) bool { return q >= 0 && q <= 1 } // false for NaN
	switch t.Kind {
	case "log1p":
	case "clip":
		if !inUnit(t.Lower) || !inUnit(t.Upper) || t.Lower > t.Upper {
			return ft, fmt.Errorf("prep: column %s: clip quantiles must satisfy 0 <= lower <= upper <= 1, got %g and %g", column, t.Lower, t.Upper)
		}
		ft.LowerQuantile, ft.UpperQuantile = t.Lower, t.Upper
	case "winsorize":
		p := t.Lower
		if !(p >= 0 && p < 0.5) {
			return ft, fmt.Errorf("prep: column %s: winsorize p (lower) must be in [0, 0.5), got %g", column, p)
		}
		if t.Upper != 0 && math.Abs(t.Upper-(1-p)) > 1e-12 {
			return ft, fmt.Errorf("prep: column %s: winsorize upper must be 1-p = %g or unset, got %g", column, 1-p, t.Upper)
		}
		ft.LowerQuantile, ft.UpperQuantile = p, 1-p
	case "onehot":
		return ft, fmt.Errorf("prep: column %s is numeric; onehot applies to text columns only", column)
	default:
		return ft, fmt.Errorf("prep: column %s: unknown transform %q (known: log1p, clip, winsorize, onehot)", column, t.Kind)
	}
	return ft, nil
}

// applyTransform transforms col in place, fitting t first when fitting.
func (r *prepRun) applyTransform(w int, column string, t *FittedTransform, col []float64) error {
	switch t.Kind {
	case "log1p":
		bad := 0
		for _, v := range col {
			if v <= -1 {
				bad++
			}
		}
		if bad > 0 {
			return &DataError{Column: column, Count: bad, Reason: "values are <= -1, where log1p is undefined"}
		}
		for i, v := range col {
			col[i] = math.Log1p(v)
		}
	case "clip", "winsorize":
		if r.fitting {
			work := r.scratchBuffer(w)[:len(col)]
			copy(work, col)
			t.Lower = quantileSelect(work, t.LowerQuantile)
			t.Upper = quantileSelect(work, t.UpperQuantile)
		}
		lo, hi := t.Lower, t.Upper
		for i, v := range col {
			// np.clip(v, lo, hi) = min(max(v, lo), hi)
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			col[i] = v
		}
	default:
		return fmt.Errorf("prep: column %s: unknown transform %q", column, t.Kind)
	}
	return nil
}

// textColumn one-hot encodes text column j into category codes, fitting the categories when fitting.
func (r *prepRun) textColumn(j int, s *stagedColumn) error {
	pc := &r.prep.Columns[j]
	c := r.columns[j]
	isNull := func(i int) bool { return c.Null != nil && c.Null[i] }
	rows := func(yield func(int) bool) {
		if r.kept != nil {
			for _, i := range r.kept {
				if !yield(i) {
					return
				}
			}
			return
		}
		for i := range c.Text {
			if !yield(i) {
				return
			}
		}
	}
	if r.fitting {
		distinct := map[string]bool{}
		for i := range rows {
			if !isNull(i) {
				distinct[c.Text[i]] = true
				if len(distinct) > MaxOneHotCategories {
					return &DataError{Column: c.Name, Reason: fmt.Sprintf(
						"has more than %d distinct values; one-hot encoding supports at most %d (bucket it first)",
						MaxOneHotCategories, MaxOneHotCategories)}
				}
			}
		}
		pc.Categories = make([]string, 0, len(distinct))
		for v := range distinct {
			pc.Categories = append(pc.Categories, v)
		}
		sort.Strings(pc.Categories)
	}
	index := make(map[string]int32, len(pc.Categories))
	for k, v := range pc.Categories {
		index[v] = int32(k)
	}
	s.codes = make([]int32, 0, r.rows)
	for i := range rows {
		if isNull(i) {
			s.codes = append(s.codes, -1)
			s.imputed++
			continue
		}
		code, ok := index[c.Text[i]]
		if !ok {
			code = -1
			s.unknown++
		}
		s.codes = append(s.codes, code)
	}
	return nil
}
