package rules

import (
	"fmt"
	"reflect"
	"time"
)

// AsOf is the name rules read the run's date by: the date the run is computed for.
const AsOf = "as_of"

// Var is a run variable, read by rules as vars.name (as_of, the one named AsOf, as as_of).
type Var struct {
	Name  string
	Value any
}

// Column is a column rules may read: its name and DuckDB type name (BIGINT, DECIMAL(18,2), VARCHAR...).
type Column struct {
	Name string
	Type string
}

// Env is what rules of one segmentation can read: the input's columns, vars and as_of.
type Env struct {
	Columns []Column
	Vars    []Var
	// Extra are columns a segmentation method adds before its rules run (r_score, f_score, m_score for rfm).
	Extra []Column
	env   map[string]any
}

func (e *Env) build() map[string]any {
	if e.env != nil {
		return e.env
	}
	env := map[string]any{}
	for _, cols := range [][]Column{e.Columns, e.Extra} {
		for _, c := range cols {
			if z := ZeroValue(c.Type); z != nil {
				env[c.Name] = z
			}
		}
	}
	var asOf time.Time
	for _, v := range e.Vars {
		if v.Name == AsOf {
			asOf = v.Value.(time.Time)
		}
	}
	env["vars"] = varsStruct(e.Vars)
	env[AsOf] = asOf
	e.env = env
	return env
}

// varsStruct builds the value rules see as `vars`: a struct with one field per var, tagged with the var's
// name, so expr checks both that a var exists and how it is used (a map would accept any name).
func varsStruct(vars []Var) any {
	var fields []reflect.StructField
	var values []reflect.Value
	for i, v := range vars {
		if v.Name == AsOf {
			continue
		}
		val := reflect.ValueOf(v.Value)
		fields = append(fields, reflect.StructField{
			Name: fmt.Sprintf("V%d", i),
			Type: val.Type(),
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q`, v.Name)),
		})
		values = append(values, val)
	}
	st := reflect.New(reflect.StructOf(fields)).Elem()
	for i, v := range values {
		st.Field(i).Set(v)
	}
	return st.Interface()
}
