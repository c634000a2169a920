package endtoend

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// masker replaces what differs from run to run and machine to machine (the temporary directory, clock
// times, durations, segrun's version) with placeholders, so goldens hold only behaviour.
type masker struct {
	// dirs are the case's working directory as given and with symbolic links resolved, longest first.
	dirs []string
}

var (
	// 2024-01-31 10:00:00, 2024-01-31T10:00:00.123Z, 2024-01-31T10:00:00+02:00: a timestamp, masked when
	// it is a clock time (see clockTime). Dates alone (as-of dates) are behaviour and stay.
	timestampRE = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?`)
	// The run summary's step timings ("4,793 rows  0.02s") and its total.
	stepTimeRE  = regexp.MustCompile(`(rows\s+)\d+\.\d+s`)
	totalTimeRE = regexp.MustCompile(`(?m)^total \d+\.\d+s$`)
	// "1,234 rule evaluations in 0.001s (1.2M/s)".
	ruleRateRE = regexp.MustCompile(`( rule evaluations in )\d+\.\d+s \(\d+\.\dM/s\)`)
)

// volatileKeys are JSON fields whose values are clock times, durations or segrun's version.
var volatileKeys = map[string]bool{
	"seconds": true, "rule_seconds": true, "started_at": true, "published_at": true, "modified": true,
	"segrun_version": true,
}

func (m *masker) text(s string) string {
	for _, d := range m.dirs {
		s = strings.ReplaceAll(s, d, "$WORK")
	}
	s = timestampRE.ReplaceAllStringFunc(s, func(ts string) string {
		if clockTime(ts) {
			return "<time>"
		}
		return ts
	})
	s = stepTimeRE.ReplaceAllString(s, "${1}<time>")
	s = totalTimeRE.ReplaceAllString(s, "total <time>")
	s = ruleRateRE.ReplaceAllString(s, "${1}<time> (<rate>)")
	return s
}

// clockTime says whether a timestamp is the clock's (a publication time, a file's modification time, a
// log line's time) rather than data's (an as-of date, an order's time): it is within two days of now. The
// cases' data are dated years before the tests run.
func clockTime(ts string) bool {
	day, err := time.Parse(time.DateOnly, ts[:10])
	if err != nil {
		return true
	}
	return time.Since(day).Abs() < 48*time.Hour
}

// output masks a command's output. Output that is one JSON document is canonicalised: keys sorted,
// floats rounded, volatile fields masked, pretty-printed.
func (m *masker) output(s string) string {
	trimmed := strings.TrimSpace(s)
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
		if v, ok := decodeJSON(trimmed); ok {
			return m.prettyJSON(v) + "\n"
		}
	}
	return m.text(s)
}

// prettyJSON prints a decoded JSON value canonically, indented by two spaces.
func (m *masker) prettyJSON(v any) string {
	return marshal(m.canonical(v, ""), "  ")
}

// jsonText canonicalises a JSON text (a stored payload); text that is not JSON is masked as text.
func (m *masker) jsonText(s string) string {
	v, ok := decodeJSON(s)
	if !ok {
		return m.text(s)
	}
	return m.prettyJSON(v)
}

// marshal encodes a canonical value without escaping <, > and & (rules read better unescaped), indented
// when indent is not empty.
func marshal(v any, indent string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		panic(err) // canonical values always encode
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func decodeJSON(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// canonical returns v with volatile fields masked, numbers rounded and strings masked. Maps marshal with
// sorted keys. A string holding a JSON object or array (the runs' vars, sources and steps in `segrun runs
// --format json`) is canonicalised inside, and stays a string.
func (m *masker) canonical(v any, key string) any {
	if volatileKeys[key] && v != nil {
		return "<masked>"
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = m.canonical(x, k)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = m.canonical(x, key)
		}
		return out
	case json.Number:
		return roundNumber(v)
	case string:
		t := strings.TrimSpace(v)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			if inner, ok := decodeJSON(t); ok {
				return marshal(m.canonical(inner, ""), "")
			}
		}
		return m.text(v)
	}
	return v
}

// roundNumber keeps integers as they are and rounds other numbers to 9 significant digits: the last
// bits of a float depend on the machine (segrun's vector kernels run on amd64 only) and on the order of
// floating-point sums. Values within 1e-12 of zero are zero: their sign and digits are rounding noise.
func roundNumber(n json.Number) json.Number {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return n
	}
	return json.Number(formatFloat(f))
}

func formatFloat(f float64) string {
	if math.Abs(f) < 1e-12 {
		return "0"
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 9, 64), 64)
	if a := math.Abs(r); a >= 1e-6 && a < 1e21 { // as encoding/json writes floats
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return strconv.FormatFloat(r, 'e', -1, 64)
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}
