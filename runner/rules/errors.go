package rules

// RowError is the rules failing on one row of a batch: a rule expr's VM could not evaluate there
// (int(name) on a name that is no number), or a value the engine cannot hold. It is the data's fault, so
// the caller makes it the run's failure, showing the row from the batch: the columns' values with ValueText.
type RowError struct {
	Batch, Row int
	Rule       int   // index of the failing rule, or -1 for a column's value
	Columns    []int // the rule columns (indexes into Set.Columns) whose values explain it
	Msg        string
}

func (e *RowError) Error() string { return e.Msg }

// valueError is a value rules cannot take (an integer beyond int64, a date beyond the instants they
// hold): the run fails naming its row rather than compare a wrapped value.
type valueError struct {
	row int
	msg string
}

func (e *valueError) Error() string { return e.msg }
