package runner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
)

// Var is a typed run variable: visible to SQL as getvariable(name) and to rules as vars.name (as_of as
// as_of).
type Var struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	// Type is the DuckDB type the value has in SQL: BOOLEAN, BIGINT, DOUBLE, DATE or VARCHAR.
	Type string `json:"type"`
}

// AsOfVar is the variable every run has: the date the run is computed for.
const AsOfVar = rules.AsOf

// ResolveVars types the spec's vars from their defaults, applies --var overrides (which must parse as the
// default's type) and adds as_of. Problems are returned as user errors naming the var.
func ResolveVars(s *spec.Spec, overrides map[string]string, asOf time.Time) ([]Var, error) {
	vars := make([]Var, 0, len(s.Vars)+1)
	seen := map[string]bool{}
	for _, e := range s.Vars {
		v, err := typedVar(e.Key, e.Value)
		if err != nil {
			return nil, err
		}
		if raw, ok := overrides[e.Key]; ok {
			if v, err = parseVar(v, raw); err != nil {
				return nil, err
			}
		}
		vars = append(vars, v)
		seen[e.Key] = true
	}
	for name := range overrides {
		if !seen[name] {
			if name == AsOfVar {
				return nil, fmt.Errorf("as_of is set with --as-of, not --var")
			}
			sugg := spec.Nearest(name, s.Vars.Keys())
			msg := fmt.Sprintf("--var %s: the spec declares no var %q", name, name)
			if sugg != "" {
				msg += fmt.Sprintf("; did you mean %q?", sugg)
			} else {
				msg += " (declare it under vars: with a default)"
			}
			return nil, fmt.Errorf("%s", msg)
		}
	}
	return append(vars, Var{Name: AsOfVar, Value: asOf, Type: "DATE"}), nil
}

func typedVar(name string, v any) (Var, error) {
	switch x := v.(type) {
	case bool:
		return Var{name, x, "BOOLEAN"}, nil
	case int:
		return Var{name, int64(x), "BIGINT"}, nil
	case int64:
		return Var{name, x, "BIGINT"}, nil
	case float64:
		return Var{name, x, "DOUBLE"}, nil
	case time.Time:
		return Var{name, x, "DATE"}, nil
	case string:
		if t, err := time.Parse(time.DateOnly, x); err == nil {
			return Var{name, t, "DATE"}, nil
		}
		return Var{name, x, "VARCHAR"}, nil
	}
	return Var{}, fmt.Errorf("var %s: %v is not a string, number, boolean or date", name, v)
}

// parseVar reads an override as the type of the var's default, so --var active_days=ninety fails early.
func parseVar(def Var, raw string) (Var, error) {
	out := def
	var err error
	switch def.Type {
	case "BOOLEAN":
		out.Value, err = strconv.ParseBool(raw)
	case "BIGINT":
		out.Value, err = strconv.ParseInt(raw, 10, 64)
	case "DOUBLE":
		out.Value, err = strconv.ParseFloat(raw, 64)
	case "DATE":
		out.Value, err = time.Parse(time.DateOnly, raw)
	default:
		out.Value = raw
	}
	if err != nil {
		return Var{}, fmt.Errorf("--var %s=%s: %s is %s, so the value must be %s", def.Name, raw, def.Name,
			strings.ToLower(def.Type), typeExample(def.Type))
	}
	return out, nil
}

func typeExample(t string) string {
	switch t {
	case "BOOLEAN":
		return "true or false"
	case "BIGINT":
		return "a whole number"
	case "DOUBLE":
		return "a number"
	case "DATE":
		return "a date like 2024-12-31"
	}
	return "text"
}

// ParseAsOf reads --as-of: a date, YYYY-MM-DD.
func ParseAsOf(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--as-of %q: want a date like 2024-12-31", s)
	}
	return t, nil
}
