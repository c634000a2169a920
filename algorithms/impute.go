package algorithms

import (
	"fmt"
	"math"
)

// Imputation follows scikit-learn's SimpleImputer: the mean or median of the column's non-missing values
// (numpy's median: the mean of the two middle values for an even count), or zero (strategy "constant",
// fill_value=0). Unlike SimpleImputer, which silently drops an all-missing column, an all-missing column is
// an error: a feature the spec asked for has no data. "drop" removes every row with a missing value, text
// included, and reports which rows were kept.
//
// Infinite values are never treated as missing: they are an error naming the column and count, because
// turning them into NaN (or letting them reach the scaler) would give NaN results far from the cause.

// scanColumn counts column j's missing values and rejects what no imputation can repair.
func (r *prepRun) scanColumn(j int) (missing int, err error) {
	c := r.columns[j]
	n := len(c.Num) + len(c.Text)
	if c.Text != nil {
		for _, null := range c.Null {
			if null {
				missing++
			}
		}
		if r.fitting && missing == n {
			return missing, &DataError{Column: c.Name, Count: n, Reason: "values are all missing"}
		}
		return missing, nil
	}
	inf := 0
	for _, v := range c.Num {
		switch {
		case v != v:
			missing++
		case math.IsInf(v, 0):
			inf++
		}
	}
	switch {
	case inf > 0:
		return missing, &DataError{Column: c.Name, Count: inf, Reason: "values are +Inf or -Inf"}
	case r.fitting && missing == n:
		return missing, &DataError{Column: c.Name, Count: n, Reason: "values are all missing; nothing to fit or impute from"}
	case missing > 0 && r.prep.Impute == ImputeNone:
		return missing, &DataError{Column: c.Name, Count: missing,
			Reason: "values are missing (set impute to mean, median, zero or drop)"}
	}
	return missing, nil
}

// keptRows lists the rows without any missing value, or nil when no column has one.
func keptRows(columns []Column, missing []int, n int) []int {
	any := false
	for _, m := range missing {
		any = any || m > 0
	}
	if !any {
		return nil
	}
	drop := make([]bool, n)
	for j, c := range columns {
		if missing[j] == 0 {
			continue
		}
		if c.Text != nil {
			for i, null := range c.Null {
				drop[i] = drop[i] || null
			}
			continue
		}
		for i, v := range c.Num {
			drop[i] = drop[i] || v != v
		}
	}
	kept := make([]int, 0, n)
	for i, d := range drop {
		if !d {
			kept = append(kept, i)
		}
	}
	return kept
}

// fitFill computes the imputation value of a numeric column from its non-missing values. scratch must hold
// len(src) values.
func fitFill(strategy string, src, scratch []float64) float64 {
	switch strategy {
	case ImputeMean:
		vals := scratch[:0]
		for _, v := range src {
			if v == v {
				vals = append(vals, v)
			}
		}
		return pairwiseSum(vals) / float64(len(vals))
	case ImputeMedian:
		vals := scratch[:0]
		for _, v := range src {
			if v == v {
				vals = append(vals, v)
			}
		}
		return medianSelect(vals)
	}
	return 0
}

// gatherFilled copies the kept rows of src into dst, replacing missing values with fill. It returns how
// many values it filled.
func gatherFilled(dst, src []float64, kept []int, fill float64) (filled int) {
	if kept != nil {
		for o, i := range kept {
			dst[o] = src[i] // kept rows have no missing value
		}
		return 0
	}
	for i, v := range src {
		if v != v {
			v = fill
			filled++
		}
		dst[i] = v
	}
	return filled
}

// numericColumn prepares numeric column j into s: impute, transform, scale (fitting each step first when
// fitting), then checks that every value is finite.
func (r *prepRun) numericColumn(w, j, missing int, s *stagedColumn) error {
	pc := &r.prep.Columns[j]
	src := r.columns[j].Num
	if r.fitting {
		switch r.prep.Impute {
		case ImputeMean, ImputeMedian, ImputeZero:
			pc.Fill = fitFill(r.prep.Impute, src, r.scratchBuffer(w))
		}
	}
	col := make([]float64, r.rows)
	s.values = col
	s.imputed = gatherFilled(col, src, r.kept, pc.Fill)
	if s.imputed > 0 && missing == len(src) && len(src) > 1 {
		s.warnings = append(s.warnings, fmt.Sprintf("column %s: all %d values are missing, all imputed", pc.Name, len(src)))
	}
	for t := range pc.Transforms {
		if err := r.applyTransform(w, pc.Name, &pc.Transforms[t], col); err != nil {
			return err
		}
	}
	if r.fitting {
		s.warnings = append(s.warnings, fitScaler(r.prep.Scale, pc, col, r.scratchBuffer(w))...)
	}
	scaleColumn(col, pc.Center, pc.Scale)
	bad := 0
	for _, v := range col {
		if !finite(v) {
			bad++
		}
	}
	if bad > 0 {
		return &DataError{Column: pc.Name, Count: bad, Reason: "values are too large for float64 arithmetic after preprocessing"}
	}
	return nil
}
