package cluster

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/sql"
)

// PrepCheck finds, in one pass over the input on the engine, what makes Prep.Apply fail: ±Inf, a missing
// value with no impute, a value log1p is undefined at. SQL cannot portably raise an error inside the
// assignment, so the runner runs Statement (one row of counts), then Err turns the counts into the error
// Prep.Apply gives for the same data, and only then assigns with AssignmentSQL.
type PrepCheck struct {
	// Statement yields one row of BIGINT counts, one per check, in order.
	Statement string
	checks    []prepCheckItem
}

type prepCheckItem struct {
	column string
	reason string
}

// NewPrepCheck is the checks of a stored preprocessing over the table from.
func NewPrepCheck(p *algorithms.Prep, from string) (*PrepCheck, error) {
	c := &PrepCheck{}
	var counts []string
	keep := "TRUE"
	if _, where, err := prepSQL(p); err != nil {
		return nil, err
	} else if where != "" {
		keep = where
	}
	for _, pc := range p.Columns {
		if pc.Text {
			continue
		}
		v := "CAST(" + sql.Ident(pc.Name) + " AS DOUBLE PRECISION)"
		counts = append(counts, fmt.Sprintf("count(CASE WHEN abs(%s) = CAST('Infinity' AS DOUBLE PRECISION) THEN 1 END)", v))
		c.checks = append(c.checks, prepCheckItem{pc.Name, "values are +Inf or -Inf"})
		if p.Impute == algorithms.ImputeNone {
			counts = append(counts, fmt.Sprintf("count(CASE WHEN %s THEN 1 END)", missingSQL(pc.Name)))
			c.checks = append(c.checks, prepCheckItem{pc.Name, "values are missing (set impute to mean, median, zero or drop)"})
		}
	}
	for _, pc := range p.Columns {
		if pc.Text {
			continue
		}
		steps, err := numericSteps(pc, p.Impute)
		if err != nil {
			return nil, err
		}
		for i, t := range pc.Transforms {
			if t.Kind == "log1p" {
				counts = append(counts, fmt.Sprintf("count(CASE WHEN %s AND %s <= %s THEN 1 END)", keep, steps[i], float8(-1)))
				c.checks = append(c.checks, prepCheckItem{pc.Name, "values are <= -1, where log1p is undefined"})
			}
		}
	}
	if len(counts) == 0 {
		counts = []string{"count(*)"} // nothing to check: a statement that still runs
		c.checks = append(c.checks, prepCheckItem{})
	}
	c.Statement = fmt.Sprintf("SELECT %s FROM %s", strings.Join(counts, ", "), sql.Ident(from))
	return c, nil
}

// Err is Prep.Apply's error for the counts Statement returned, or nil. Apply scans every column for Inf
// and missing values before it transforms any, and reports the first column in order that fails, so
// the scan's checks come first.
func (c *PrepCheck) Err(counts []int64) error {
	if len(counts) != len(c.checks) {
		return fmt.Errorf("preprocessing check: %d counts for %d checks", len(counts), len(c.checks))
	}
	for i, ch := range c.checks {
		if ch.column != "" && counts[i] > 0 {
			return &algorithms.DataError{Column: ch.column, Count: int(counts[i]), Reason: ch.reason}
		}
	}
	return nil
}
