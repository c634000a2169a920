package algorithms

import (
	"fmt"
	"strings"
)

// Frame holds the input columns of one segmentation, in the order the spec lists its features. All columns
// have the same length: one value per entity.
type Frame struct {
	Columns []Column
}

// Column is one input feature. Exactly one of Num and Text is set.
type Column struct {
	Name string
	// Num holds a numeric column; NaN marks a missing value (SQL NULL).
	Num []float64
	// Text holds a text column, usable only through one-hot encoding.
	Text []string
	// Null marks missing values of a text column; nil when there are none.
	Null []bool
}

// Len is the number of rows.
func (f *Frame) Len() int {
	if len(f.Columns) == 0 {
		return 0
	}
	c := f.Columns[0]
	if c.Num != nil {
		return len(c.Num)
	}
	return len(c.Text)
}

// DataError is bad input data, named by column so the user can find it: "column monetary: 12 values are +Inf".
type DataError struct {
	Column string
	Count  int
	Reason string
}

func (e *DataError) Error() string {
	if e.Column == "" {
		return e.Reason
	}
	if e.Count == 1 && strings.HasPrefix(e.Reason, "values are ") { // the reasons are written for many
		return fmt.Sprintf("column %s: 1 value is %s", e.Column, strings.TrimPrefix(e.Reason, "values are "))
	}
	if e.Count > 0 {
		return fmt.Sprintf("column %s: %d %s", e.Column, e.Count, e.Reason)
	}
	return fmt.Sprintf("column %s: %s", e.Column, e.Reason)
}
