package algorithms

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// methodParams reads one clustering method's ClusterSpec.Params. The values come from YAML (or JSON), so a
// number may arrive as int, int64, uint64 or float64; integer parameters accept floats with no fractional
// part (a YAML "5.0" or a JSON 5). Unknown names are an error that lists the valid ones and suggests the
// nearest, so a typo such as "min_sample" does not silently fall back to a default.
type methodParams struct {
	method string
	raw    map[string]any
}

// readMethodParams checks every key of raw against valid and returns a reader for the known ones.
func readMethodParams(method string, raw map[string]any, valid ...string) (methodParams, error) {
	known := make(map[string]bool, len(valid))
	for _, v := range valid {
		known[v] = true
	}
	var unknown []string
	for name := range raw {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		sorted := append([]string(nil), valid...)
		sort.Strings(sorted)
		var parts []string
		for _, name := range unknown {
			part := fmt.Sprintf("%q", name)
			if near := nearestName(name, sorted); near != "" {
				part += fmt.Sprintf(" (did you mean %q?)", near)
			}
			parts = append(parts, part)
		}
		word := "parameter"
		if len(unknown) > 1 {
			word = "parameters"
		}
		validList := "none"
		if len(sorted) > 0 {
			validList = strings.Join(sorted, ", ")
		}
		return methodParams{}, fmt.Errorf("%s: unknown %s %s; valid: %s", method, word, strings.Join(parts, ", "),
			validList)
	}
	return methodParams{method: method, raw: raw}, nil
}

// has reports whether the parameter was given.
func (p methodParams) has(name string) bool {
	_, ok := p.raw[name]
	return ok
}

// float returns a numeric parameter, or def when absent. NaN and infinities are rejected: no method has a
// use for them and they would poison every comparison downstream.
func (p methodParams) float(name string, def float64) (float64, error) {
	v, ok := p.raw[name]
	if !ok {
		return def, nil
	}
	f, ok := numberValue(v)
	if !ok {
		return 0, fmt.Errorf("%s: parameter %s must be a number, got %v (%T)", p.method, name, v, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s: parameter %s must be finite, got %v", p.method, name, f)
	}
	return f, nil
}

// int returns an integer parameter, or def when absent; integral floats are accepted because YAML and JSON
// decoders may hand any number over as float64.
func (p methodParams) int(name string, def int) (int, error) {
	v, ok := p.raw[name]
	if !ok {
		return def, nil
	}
	f, ok := numberValue(v)
	if !ok {
		return 0, fmt.Errorf("%s: parameter %s must be an integer, got %v (%T)", p.method, name, v, v)
	}
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s: parameter %s must be an integer, got %v", p.method, name, v)
	}
	return int(f), nil
}

// str returns a string parameter, or def when absent.
func (p methodParams) str(name, def string) (string, error) {
	v, ok := p.raw[name]
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: parameter %s must be a string, got %v (%T)", p.method, name, v, v)
	}
	return s, nil
}

// numberValue converts the numeric types YAML and JSON decoders produce to float64.
func numberValue(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// chooseName returns value if it is one of options (case-sensitive, as the spec's other names), else an
// error naming the options and the nearest one.
func chooseName(what, value string, options []string) error {
	for _, o := range options {
		if o == value {
			return nil
		}
	}
	msg := fmt.Sprintf("unknown %s %q", what, value)
	if near := nearestName(value, options); near != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", near)
	}
	return fmt.Errorf("%s; valid: %s", msg, strings.Join(options, ", "))
}

// nearestName returns the option with the smallest edit distance to name (the first on ties), or "" when
// there are no options.
func nearestName(name string, options []string) string {
	best, bestDist := "", math.MaxInt
	for _, o := range options {
		if d := editDistance(strings.ToLower(name), strings.ToLower(o)); d < bestDist {
			best, bestDist = o, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in bytes (names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
