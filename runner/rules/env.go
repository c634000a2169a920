package rules

// AsOf is the name rules read the run's date by: the date the run is computed for.
const AsOf = "as_of"

// Var is a run variable, read by rules as vars.name (as_of as as_of).
type Var struct {
	Name  string
	Value any
}
