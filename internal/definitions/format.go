package definitions

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What both renderers say the same way.

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(share float64) string { return fmt.Sprintf("%.1f%%", 100*share) }

func date(t time.Time) string { return t.Format(time.DateOnly) }

// number writes a centroid's mean with 4 significant digits, without an exponent for everyday sizes.
func number(v float64) string {
	if v != 0 && (v >= 1e9 || v <= -1e9 || (v < 1e-3 && v > -1e-3)) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', decimals(v), 64)
}

func decimals(v float64) int {
	a := v
	if a < 0 {
		a = -a
	}
	switch {
	case a >= 1000:
		return 0
	case a >= 100:
		return 1
	case a >= 10:
		return 2
	}
	return 3
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// sizeLine is a segment's current size and share, or what is missing.
func sizeLine(d *Document, sg *Segment) string {
	switch {
	case d.Store == nil:
		return "no store"
	case !sg.Sized:
		return "not in the latest version"
	}
	return thousands(sg.Size) + " (" + percent(sg.Share) + ")"
}

// trendText is a segment's sizes across the versions, oldest first: "1,200 → 1,234", "–" where it had
// no members.
func trendText(sg *Segment) string {
	var parts []string
	for _, n := range sg.Trend {
		if n == nil {
			parts = append(parts, "–")
		} else {
			parts = append(parts, thousands(*n))
		}
	}
	return strings.Join(parts, " → ")
}

func versionsText(vs []VersionRef) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("v%d %s", v.Run, date(v.AsOf)))
	}
	return strings.Join(parts, ", ")
}

func actionText(a *Action) []string {
	var out []string
	for _, f := range []struct{ k, v string }{{"message", a.Message}, {"channel", a.Channel}, {"offer", a.Offer}} {
		if f.v != "" {
			out = append(out, f.k+": "+f.v)
		}
	}
	return out
}

func (c DefinitionChange) what() string {
	if c.First {
		return "first version"
	}
	return "definition changed"
}

// storeLine says where sizes come from, or why there are none.
func storeLine(d *Document) string {
	if d.Store == nil {
		return d.StoreNote
	}
	if d.Store.Versions == 0 {
		return fmt.Sprintf("Store %s: no published version yet.", d.Store.Path)
	}
	return fmt.Sprintf("Store %s: %d published %s, the latest version %d as of %s.", d.Store.Path, d.Store.Versions,
		map[bool]string{true: "version", false: "versions"}[d.Store.Versions == 1], d.Store.LatestRun, date(d.Store.LatestAsOf))
}
