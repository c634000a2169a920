package algorithms

import (
	"strings"
	"testing"
)

func TestMethodParamsRejectsUnknownNamesWithSuggestion(t *testing.T) {
	_, err := newMethodParams("dbscan", map[string]any{"min_sample": 5, "eps": 0.5}, "eps", "min_samples")
	if err == nil {
		t.Fatal("unknown parameter accepted")
	}
	for _, want := range []string{`"min_sample"`, `did you mean "min_samples"`, "valid: eps, min_samples"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestMethodParamsNumbers(t *testing.T) {
	p, err := newMethodParams("m", map[string]any{"a": 5, "b": 5.0, "c": int64(7), "e": 2.5, "f": "x", "g": true, "h": 1e300, "neg": -1},
		"a", "b", "c", "e", "f", "g", "h", "neg")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"a": 5, "b": 5, "c": 7} {
		if got, err := p.intParam(name, 0, 0); err != nil || got != want {
			t.Errorf("int %s = %d, %v; want %d", name, got, err, want)
		}
	}
	if got, err := p.intParam("absent", 11, 0); err != nil || got != 11 {
		t.Errorf("default int = %d, %v", got, err)
	}
	for _, name := range []string{"e", "f", "g", "h", "neg"} {
		if _, err := p.intParam(name, 0, 0); err == nil {
			t.Errorf("int %s accepted", name)
		}
	}
	if got, err := p.floatParam("e", 0, 0); err != nil || got != 2.5 {
		t.Errorf("float e = %v, %v", got, err)
	}
	for _, name := range []string{"f", "g", "neg"} {
		if _, err := p.floatParam(name, 0, 0); err == nil {
			t.Errorf("float %s accepted", name)
		}
	}
}

func TestChooseNameSuggests(t *testing.T) {
	linkages := []string{"ward", "average", "complete", "single"}
	err := chooseName("linkage", "avrage", linkages)
	if err == nil || !strings.Contains(err.Error(), `did you mean "average"`) {
		t.Errorf("got %v", err)
	}
	if err := chooseName("linkage", "single", linkages); err != nil {
		t.Error(err)
	}
	p, _ := newMethodParams("hierarchical", map[string]any{"linkage": "singel"}, "linkage")
	if _, err := p.stringParam("linkage", "ward", linkages...); err == nil || !strings.Contains(err.Error(), `did you mean "single"`) {
		t.Errorf("stringParam: %v", err)
	}
}
