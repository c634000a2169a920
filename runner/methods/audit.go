package methods

import (
	"fmt"
	"strings"

	"github.com/segrun/segrun/sql/store"
)

// AuditResult is one declared audit's outcome in a version, stored with it in its summary (Report.Audits),
// pass or fail: what was measured, against which threshold.
type AuditResult struct {
	// Audit is the kind (size, drift, stability); Index its 1-based place in the segmentation's audits.
	Audit    string `json:"audit"`
	Index    int    `json:"index"`
	Severity string `json:"severity"`
	// Status is AuditPass, AuditFail or AuditNotCompared (nothing to compare with: Note says why).
	Status string `json:"status"`
	// Against is the version compared with (0: none).
	Against int64        `json:"against,omitempty"`
	Note    string       `json:"note,omitempty"`
	Checks  []AuditCheck `json:"checks,omitempty"`
}

// An audit's status.
const (
	AuditPass        = "pass"
	AuditFail        = "fail"
	AuditNotCompared = "not_compared"
)

// AuditCheck is one measured value of an audit: a segment's share against min, a column's PSI against the
// threshold. A check without Bound is reported, not held to anything (a segment's PSI).
type AuditCheck struct {
	Segment string `json:"segment,omitempty"`
	Column  string `json:"column,omitempty"`
	// KPI names the KPI a kpi audit measured (Segment "" then means the population).
	KPI string `json:"kpi,omitempty"`
	// Measure is share, share_change, psi, ari, kpi or kpi_change.
	Measure string `json:"measure"`
	// Value is absent when there is none to give: the change of a segment that is new (unbounded).
	Value     *float64 `json:"value,omitempty"`
	Bound     string   `json:"bound,omitempty"`
	Threshold float64  `json:"threshold"`
	Failed    bool     `json:"failed,omitempty"`
	Note      string   `json:"note,omitempty"`
	// Format is the KPI's (number, percent, currency) for kpi checks: how its value and bounds are shown.
	Format string `json:"format,omitempty"`
}

// Percent writes a share or a relative change as a percentage (0.0213 is 2.1%), as KPI values of format
// percent are shown; a share below 0.1% keeps two significant digits rather than reading as 0.0%.
func Percent(v float64) string {
	if p := 100 * v; p != 0 && p > -0.05 && p < 0.05 {
		return fmt.Sprintf("%.2g%%", p)
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// SignedPercent is Percent with its sign: a change (+29.4%, -12.0%).
func SignedPercent(v float64) string {
	s := Percent(v)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// display writes a check's value or threshold as its measure reads: shares and relative changes as
// percentages, a KPI in its format, an index (PSI, ARI) as a number.
func (c AuditCheck) display(v float64, signed bool) string {
	switch c.Measure {
	case "share", "share_change", "kpi_change":
		if signed {
			return SignedPercent(v)
		}
		return Percent(v)
	case "kpi":
		return store.FormatKPI(&v, c.Format)
	}
	if signed {
		return fmt.Sprintf("%+.4g", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// DriftBins are a drift-audited column's bins in a version: the edges (numbers: the deciles of its
// non-NULL values, ties merged) or categories (text: the most frequent values) the next version's PSI is
// binned on, and this version's shares of the input, and of each segment's members, in them. Shares run
// over the bins in order, then "other" (text only), then NULL.
type DriftBins struct {
	Column     string               `json:"column"`
	Kind       string               `json:"kind"` // number or text
	Edges      []float64            `json:"edges,omitempty"`
	Categories []string             `json:"categories,omitempty"`
	Rows       int64                `json:"rows"`
	Shares     []float64            `json:"shares"`
	Segments   map[string]BinShares `json:"segments,omitempty"`
}

// BinShares are one segment's members and their shares in a column's bins.
type BinShares struct {
	Rows   int64     `json:"rows"`
	Shares []float64 `json:"shares"`
}

// Failures are the failed checks of an audit, one line each, naming the audit, the segment or column,
// the value and the threshold: what a failing run prints.
func (r AuditResult) Failures() []string {
	var out []string
	for _, c := range r.Checks {
		if c.Failed {
			out = append(out, fmt.Sprintf("audit %d, %s: %s", r.Index, r.Audit, c.Describe(r.Audit)))
		}
	}
	return out
}

// Describe says what a check measured and against what, for audit (its kind).
func (c AuditCheck) Describe(audit string) string {
	var b strings.Builder
	switch {
	case c.Segment != "" && c.Column != "":
		fmt.Fprintf(&b, "column %s in segment %s: ", c.Column, c.Segment)
	case c.Segment != "":
		fmt.Fprintf(&b, "segment %s: ", c.Segment)
	case c.Column != "":
		fmt.Fprintf(&b, "column %s: ", c.Column)
	case c.KPI != "":
		b.WriteString("population: ")
	}
	if c.Value == nil && c.Bound == "" { // nothing measured: the note says why
		b.WriteString(c.Note)
		return b.String()
	}
	name := map[string]string{"share": "share", "share_change": "share changed by", "psi": "PSI", "ari": "adjusted Rand index"}[c.Measure]
	switch {
	case c.Measure == "kpi":
		name = c.KPI
	case c.Measure == "kpi_change":
		name = c.KPI + " changed by"
	case name == "":
		name = c.Measure
	}
	if c.Value == nil {
		// A segment new since the previous version, a KPI that was 0: "share changed without bound".
		b.WriteString(strings.TrimSuffix(name, " by") + " without bound")
	} else {
		b.WriteString(name)
		v := *c.Value
		b.WriteString(" " + c.display(v, c.Measure == "share_change" || c.Measure == "kpi_change"))
	}
	if c.Bound != "" {
		rel := map[string]string{"min": "below", "min_ari": "below", "max": "above", "max_change": "more than", "psi": "above"}[c.Bound]
		if !c.Failed {
			rel = map[string]string{"min": "at or above", "min_ari": "at or above", "max": "at or below", "max_change": "within", "psi": "at or below"}[c.Bound]
		}
		fmt.Fprintf(&b, ", %s %s.%s %s", rel, audit, c.Bound, c.display(c.Threshold, false))
	}
	if c.Note != "" {
		fmt.Fprintf(&b, " (%s)", c.Note)
	}
	return b.String()
}
