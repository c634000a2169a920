package pgflagship

import (
	"fmt"

	"github.com/segrun/segrun/examples"
	"gopkg.in/yaml.v3"
)

// The two flagship specs in examples.Pipelines.
const (
	DuckDBSpec   = examples.FlagshipSpec
	PostgresSpec = "pipelines/retail_postgres.yaml"
)

// Feature is a feature's name and SQL as a spec writes it.
type Feature struct {
	Name, SQL string
}

// Features reads the features of one of examples.Pipelines' specs, in the spec's order (each reads only
// sources and the features before it, and the churn model's scores). It reads the YAML alone, not
// through spec.Parse, so that it does not depend on the spec package knowing engine postgres.
func Features(specFile string) ([]Feature, error) {
	src, err := examples.Pipelines.ReadFile(specFile)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Features yaml.Node `yaml:"features"`
	}
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", specFile, err)
	}
	n := doc.Features
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: no features mapping", specFile)
	}
	var out []Feature
	for i := 0; i+1 < len(n.Content); i += 2 {
		var f struct {
			SQL string `yaml:"sql"`
		}
		if err := n.Content[i+1].Decode(&f); err != nil {
			return nil, fmt.Errorf("%s: feature %s: %w", specFile, n.Content[i].Value, err)
		}
		if f.SQL == "" {
			return nil, fmt.Errorf("%s: feature %s has no inline sql", specFile, n.Content[i].Value)
		}
		out = append(out, Feature{Name: n.Content[i].Value, SQL: f.SQL})
	}
	return out, nil
}
