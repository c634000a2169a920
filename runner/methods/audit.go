package methods

import (
	"fmt"
	"strings"
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
		if c.Measure == "share_change" || c.Measure == "kpi_change" {
			fmt.Fprintf(&b, " %+.4g", v)
		} else {
			fmt.Fprintf(&b, " %.4g", v)
		}
	}
	if c.Bound != "" {
		rel := map[string]string{"min": "below", "min_ari": "below", "max": "above", "max_change": "more than", "psi": "above"}[c.Bound]
		if !c.Failed {
			rel = map[string]string{"min": "at or above", "min_ari": "at or above", "max": "at or below", "max_change": "within", "psi": "at or below"}[c.Bound]
		}
		fmt.Fprintf(&b, ", %s %s.%s %.4g", rel, audit, c.Bound, c.Threshold)
	}
	if c.Note != "" {
		fmt.Fprintf(&b, " (%s)", c.Note)
	}
	return b.String()
}
