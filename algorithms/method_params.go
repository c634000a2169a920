package algorithms

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/segrun/segrun/internal/suggest"
)

// methodParams reads one method's ClusterSpec.Params. Values come from YAML, so a number may arrive as any Go
// integer type or as float64; integer params accept a float64 only when it is integral. Unknown names are an
// error that lists the valid ones and suggests the nearest, because a misspelt param would otherwise be
// silently ignored and the fit would run with a default the user did not mean.
type methodParams struct {
	method string
	values map[string]any
}

// newMethodParams checks that every given param is one of valid.
func newMethodParams(method string, values map[string]any, valid ...string) (*methodParams, error) {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := chooseName("param", name, valid); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
	}
	return &methodParams{method: method, values: values}, nil
}

// intParam returns the named integer param, or def when absent; values below min are an error.
func (p *methodParams) intParam(name string, def, min int) (int, error) {
	v, ok := p.values[name]
	if !ok || v == nil {
		return def, nil
	}
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int8:
		n = int(x)
	case int16:
		n = int(x)
	case int32:
		n = int(x)
	case int64:
		n = int(x)
	case uint:
		n = int(x)
	case uint8:
		n = int(x)
	case uint16:
		n = int(x)
	case uint32:
		n = int(x)
	case uint64:
		if x > math.MaxInt {
			return 0, fmt.Errorf("%s: param %s = %d is too large", p.method, name, x)
		}
		n = int(x)
	case float32:
		return p.intFromFloat(name, float64(x), min)
	case float64:
		return p.intFromFloat(name, x, min)
	default:
		return 0, fmt.Errorf("%s: param %s must be an integer, got %v (%T)", p.method, name, v, v)
	}
	if n < min {
		return 0, fmt.Errorf("%s: param %s must be >= %d, got %d", p.method, name, min, n)
	}
	return n, nil
}

func (p *methodParams) intFromFloat(name string, x float64, min int) (int, error) {
	if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
		return 0, fmt.Errorf("%s: param %s must be an integer, got %v", p.method, name, x)
	}
	if x < float64(min) {
		return 0, fmt.Errorf("%s: param %s must be >= %d, got %v", p.method, name, min, x)
	}
	return int(x), nil
}

// floatParam returns the named number param, or def when absent; values below min are an error.
func (p *methodParams) floatParam(name string, def, min float64) (float64, error) {
	v, ok := p.values[name]
	if !ok || v == nil {
		return def, nil
	}
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	default:
		return 0, fmt.Errorf("%s: param %s must be a number, got %v (%T)", p.method, name, v, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: param %s must be finite, got %v", p.method, name, f)
	}
	if f < min {
		return 0, fmt.Errorf("%s: param %s must be >= %v, got %v", p.method, name, min, f)
	}
	return f, nil
}

// stringParam returns the named string param, or def when absent; it must be one of allowed.
func (p *methodParams) stringParam(name, def string, allowed ...string) (string, error) {
	v, ok := p.values[name]
	if !ok || v == nil {
		return def, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", fmt.Errorf("%s: param %s must be one of %s, got %v (%T)", p.method, name,
			strings.Join(allowed, ", "), v, v)
	}
	if err := chooseName(name, s, allowed); err != nil {
		return "", fmt.Errorf("%s: %w", p.method, err)
	}
	return s, nil
}

// has reports whether the param was given.
func (p *methodParams) has(name string) bool {
	_, ok := p.values[name]
	return ok
}

// chooseName checks value is one of options (case-sensitive, as the spec's other names), else names the
// options and the nearest one.
func chooseName(what, value string, options []string) error {
	if slices.Contains(options, value) {
		return nil
	}
	msg := fmt.Sprintf("unknown %s %q", what, value)
	if near := nearestName(value, options); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Errorf("%s; valid: %s", msg, strings.Join(options, ", "))
}

// nInitParam reads n_init, which scikit-learn also accepts as "auto": one initialisation for k-means++.
func (p *methodParams) nInitParam(def int) (int, error) {
	if s, ok := p.values["n_init"].(string); ok {
		if s == "auto" {
			return 1, nil
		}
		return 0, fmt.Errorf("%s: param n_init must be a positive integer or \"auto\", got %q", p.method, s)
	}
	return p.intParam("n_init", def, 1)
}

// nearestName returns the candidate a user most likely meant by name, or "".
func nearestName(name string, candidates []string) string { return suggest.Nearest(name, candidates) }
