package spec

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// Outcome is what a campaign is measured by (segrun measure): events in a source, one row per event with
// the entity and a time, read in a window after an audience version's as-of date. Metric says what each
// member counts: converted (any event in the window) or the sum of a revenue column.
type Outcome struct {
	Description string        `yaml:"description"`
	From        string        `yaml:"from"`
	Time        string        `yaml:"time"`
	Metric      OutcomeMetric `yaml:"metric"`
}

// OutcomeMetric is an outcome's metric: `converted`, or `{revenue: COLUMN}`.
type OutcomeMetric struct {
	// Revenue is the column summed per member; "" for converted.
	Revenue string
}

// Metric kinds as measure names them.
const (
	MetricConverted = "converted"
	MetricRevenue   = "revenue"
)

// Kind is converted or revenue.
func (m OutcomeMetric) Kind() string {
	if m.Revenue != "" {
		return MetricRevenue
	}
	return MetricConverted
}

// UnmarshalYAML reads the scalar `converted` or the mapping {revenue: COLUMN}; the schema has checked
// which, so anything else decodes as converted and is never seen.
func (m *OutcomeMetric) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var v struct {
		Revenue string `yaml:"revenue"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	m.Revenue = v.Revenue
	return nil
}

// outcomes: an outcome's from is a source. Events happen after the as-of date, which is exactly what a
// feature written against getvariable('as_of') must not read, so measure reads the source's files as
// they are (runner/measure.go), and no feature stands between. Its columns are typed by the runner.
func (c *checker) outcomes() {
	for _, e := range c.s.Outcomes {
		base := Pointer("outcomes", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		c.ref(base+"/from", e.Value.From, "outcome from", "source")
		if e.Value.Metric.Revenue != "" && e.Value.Metric.Revenue == e.Value.Time {
			c.errorAt(base+"/metric/revenue", "outcome.revenue", fmt.Sprintf("revenue column %q is the outcome's time column", e.Value.Time), "")
		}
	}
}
