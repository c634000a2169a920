package algorithms

import (
	"fmt"
	"math"
	"slices"
)

// Encoding a model's features into its design matrix. The encoding is fitted on the training rows only and
// stored with the model, so test rows and later scoring are encoded exactly as training was (no statistic
// of the test part leaks into the fit):
//
//   - a numeric feature is standardised, (x - mean) / sd with the population sd (scikit-learn's
//     StandardScaler); a constant feature keeps sd 1. A missing value is the training mean (0 once
//     standardised).
//   - a text feature is one-hot encoded against a reference level: its levels seen in training, sorted,
//     the first being the reference (all zeros), one column for each other level (scikit-learn's
//     OneHotEncoder(drop="first")). Dropping the reference keeps ordinary least squares identifiable. A
//     missing value is a level of its own, "(missing)"; a level training never saw encodes as the
//     reference (all zeros), like handle_unknown="ignore".

// MissingLevel names a text feature's missing values as a level.
const MissingLevel = "(missing)"

// ModelColumn is one feature's values: Num for a numeric feature (NaN missing), Text for a text one
// (Missing[i] marks a missing value; nil: none missing).
type ModelColumn struct {
	Name    string
	Num     []float64
	Text    []string
	Missing []bool
}

// Len is the column's number of rows.
func (c ModelColumn) Len() int {
	if c.Text != nil {
		return len(c.Text)
	}
	return len(c.Num)
}

// EncodedFeature is how one feature is encoded: Mean and SD for a numeric one, Reference and Levels (one
// design column each, in order) for a text one.
type EncodedFeature struct {
	Name      string   `json:"name"`
	Text      bool     `json:"text,omitempty"`
	Mean      float64  `json:"mean,omitempty"`
	SD        float64  `json:"sd,omitempty"`
	Reference string   `json:"reference,omitempty"`
	Levels    []string `json:"levels,omitempty"`
}

// Encoder turns feature columns into a design matrix; fitted by FitEncoder.
type Encoder struct {
	Features []EncodedFeature `json:"features"`
}

// textLevel is row i's level of column c.
func textLevel(c ModelColumn, i int) string {
	if c.Missing != nil && c.Missing[i] {
		return MissingLevel
	}
	return c.Text[i]
}

// FitEncoder fits the encoding on the rows of cols listed in rows (the training part).
func FitEncoder(cols []ModelColumn, rows []int) (*Encoder, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("no training rows to fit the features' encoding on")
	}
	enc := &Encoder{}
	for _, c := range cols {
		f := EncodedFeature{Name: c.Name, Text: c.Text != nil}
		if f.Text {
			seen := map[string]bool{}
			for _, i := range rows {
				seen[textLevel(c, i)] = true
			}
			levels := make([]string, 0, len(seen))
			for l := range seen {
				levels = append(levels, l)
			}
			slices.Sort(levels)
			f.Reference, f.Levels = levels[0], levels[1:]
		} else {
			var sum float64
			n := 0
			for _, i := range rows {
				if v := c.Num[i]; !math.IsNaN(v) {
					sum += v
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("feature %s has no value in the training rows", c.Name)
			}
			f.Mean = sum / float64(n)
			var ss float64
			for _, i := range rows {
				if v := c.Num[i]; !math.IsNaN(v) {
					ss += (v - f.Mean) * (v - f.Mean)
				}
			}
			f.SD = math.Sqrt(ss / float64(n))
			if f.SD == 0 || math.IsNaN(f.SD) {
				f.SD = 1
			}
		}
		enc.Features = append(enc.Features, f)
	}
	return enc, nil
}

// Columns names the design matrix's columns: a numeric feature's name, "feature=level" for a level.
func (e *Encoder) Columns() []string {
	var names []string
	for _, f := range e.Features {
		if !f.Text {
			names = append(names, f.Name)
			continue
		}
		for _, l := range f.Levels {
			names = append(names, f.Name+"="+l)
		}
	}
	return names
}

// Width is the number of design columns.
func (e *Encoder) Width() int {
	w := 0
	for _, f := range e.Features {
		if f.Text {
			w += len(f.Levels)
		} else {
			w++
		}
	}
	return w
}

// Transform encodes rows of cols (all rows when rows is nil) into a design matrix. cols must be the
// features the encoder was fitted on, in the same order.
func (e *Encoder) Transform(cols []ModelColumn, rows []int) (*Matrix, error) {
	if len(cols) != len(e.Features) {
		return nil, fmt.Errorf("the model was fitted on %d features, not %d", len(e.Features), len(cols))
	}
	n := len(rows)
	if rows == nil && len(cols) > 0 {
		n = cols[0].Len()
	}
	row := func(r int) int {
		if rows == nil {
			return r
		}
		return rows[r]
	}
	X := NewMatrix(n, e.Width())
	at := 0
	for j, f := range e.Features {
		c := cols[j]
		if f.Text != (c.Text != nil) {
			return nil, fmt.Errorf("feature %s was fitted as %s and is now %s", f.Name, kindWord(f.Text), kindWord(c.Text != nil))
		}
		if !f.Text {
			for r := 0; r < n; r++ {
				v := c.Num[row(r)]
				if !math.IsNaN(v) {
					X.Data[r*X.Cols+at] = (v - f.Mean) / f.SD
				}
			}
			at++
			continue
		}
		index := make(map[string]int, len(f.Levels))
		for k, l := range f.Levels {
			index[l] = k
		}
		for r := 0; r < n; r++ {
			if k, ok := index[textLevel(c, row(r))]; ok {
				X.Data[r*X.Cols+at+k] = 1
			}
		}
		at += len(f.Levels)
	}
	return X, nil
}

func kindWord(text bool) string {
	if text {
		return "text"
	}
	return "numeric"
}
