package spec

import (
	"encoding/json"
	"testing"

	"gopkg.in/yaml.v3"
)

// The objective reads from either spelling and writes JSON as a plain name when it is one: stored models
// compare their cluster spec's JSON across runs, and specs stored before {kpi} existed wrote a string.
func TestSearchObjectiveSpellings(t *testing.T) {
	for text, want := range map[string]SearchObjective{
		"objective: davies_bouldin":       {Name: "davies_bouldin"},
		"objective: {kpi: retention_90d}": {KPI: "retention_90d"},
	} {
		var got struct {
			Objective SearchObjective `yaml:"objective"`
		}
		if err := yaml.Unmarshal([]byte(text), &got); err != nil || got.Objective != want {
			t.Errorf("%s: %+v %v, want %+v", text, got.Objective, err, want)
		}
	}
	for o, want := range map[SearchObjective]string{{Name: "silhouette"}: `"silhouette"`, {}: `""`, {KPI: "spend"}: `{"kpi":"spend"}`} {
		b, err := json.Marshal(o)
		if err != nil || string(b) != want {
			t.Errorf("%+v: %s %v, want %s", o, b, err, want)
		}
		var back SearchObjective
		if err := json.Unmarshal(b, &back); err != nil || back != o {
			t.Errorf("%s reads back as %+v %v", b, back, err)
		}
	}
}
