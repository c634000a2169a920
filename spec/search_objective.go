package spec

import (
	"encoding/json"

	"gopkg.in/yaml.v3"
)

// SearchObjective is what a cluster search optimises: a validity index by name (objective: silhouette),
// or the spread of a declared KPI across the candidate's segments (objective: {kpi: retention_90d}).
type SearchObjective struct {
	// Name is silhouette, davies_bouldin or calinski_harabasz; empty with KPI (and when not given).
	Name string
	// KPI is a key of kpis:, whose spread across segments the search maximises.
	KPI string
}

// UnmarshalYAML reads either spelling; the schema has already checked the shape.
func (o *SearchObjective) UnmarshalYAML(n *yaml.Node) error {
	n = deref(n)
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&o.Name)
	}
	var m struct {
		KPI string `yaml:"kpi"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	o.KPI = m.KPI
	return nil
}

// String is the objective as the run summary names it: the index, or kpi_spread(NAME).
func (o SearchObjective) String() string {
	if o.KPI != "" {
		return "kpi_spread(" + o.KPI + ")"
	}
	return o.Name
}

// MarshalJSON writes the objective as the spec does: the name, or {"kpi": NAME}. A stored model records
// its cluster spec as JSON and compares it on later runs (refit: never), so a name must stay the plain
// string it was before the KPI form existed.
func (o SearchObjective) MarshalJSON() ([]byte, error) {
	if o.KPI != "" {
		return json.Marshal(map[string]string{"kpi": o.KPI})
	}
	return json.Marshal(o.Name)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (o *SearchObjective) UnmarshalJSON(b []byte) error {
	var name string
	if json.Unmarshal(b, &name) == nil {
		*o = SearchObjective{Name: name}
		return nil
	}
	var m struct {
		KPI string `json:"kpi"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*o = SearchObjective{KPI: m.KPI}
	return nil
}
