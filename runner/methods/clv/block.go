package clv

import (
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// block is a segmentation's clv: block as written; its shape is schema/pipeline.schema.json's $defs/clv.
type block struct {
	Time         string    `yaml:"time"`
	Amount       string    `yaml:"amount"`
	Unit         string    `yaml:"unit"`
	Horizon      int       `yaml:"horizon"`
	DiscountRate float64   `yaml:"discount_rate"`
	Tiers        yaml.Node `yaml:"tiers"`
	Thresholds   yaml.Node `yaml:"thresholds"`
	Holdout      int       `yaml:"holdout"`
}

// tier is a named lower bound (a quantile of CLV, or a CLV) in the order written.
type tier struct {
	name  string
	from  float64
	line  int
	col   int
	index int
}

// Defaults.
const (
	defaultUnit    = "week"
	defaultHorizon = 52
)

// unitDays is each unit's length in days; a month is the mean Gregorian month.
var unitDays = map[string]float64{"day": 1, "week": 7, "month": 365.25 / 12}

// decodeBlock reads a clv block, filling in the defaults.
func decodeBlock(n *yaml.Node) (block, error) {
	var b block
	if err := n.Decode(&b); err != nil {
		return b, err
	}
	if b.Unit == "" {
		b.Unit = defaultUnit
	}
	if b.Horizon == 0 {
		b.Horizon = defaultHorizon
	}
	return b, nil
}

// byQuantile says whether tiers are quantiles (tiers:) rather than CLV values (thresholds:).
func (b block) byQuantile() bool { return b.Tiers.Kind == yaml.MappingNode }

// tierList is the tiers or thresholds as written, in order.
func (b block) tierList() ([]tier, error) {
	n := &b.Thresholds
	if b.byQuantile() {
		n = &b.Tiers
	}
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var out []tier
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, err := strconv.ParseFloat(v.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", k.Value, v.Value)
		}
		out = append(out, tier{name: k.Value, from: f, line: v.Line, col: v.Column, index: i / 2})
	}
	return out, nil
}

func (b block) tierKey() string {
	if b.byQuantile() {
		return "tiers"
	}
	return "thresholds"
}
