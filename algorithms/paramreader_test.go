package algorithms

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMethodParamsRejectsUnknownNamesWithSuggestion(t *testing.T) {
	_, err := readMethodParams("dbscan", map[string]any{"min_sample": 5, "eps": 0.5}, "eps", "min_samples")
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
	p, err := readMethodParams("m", map[string]any{
		"a": 5, "b": 5.0, "c": int64(7), "d": json.Number("9"), "e": 2.5, "f": "x", "g": true, "h": 1e300,
	}, "a", "b", "c", "d", "e", "f", "g", "h")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"a": 5, "b": 5, "c": 7, "d": 9} {
		if got, err := p.int(name, 0); err != nil || got != want {
			t.Errorf("int %s = %d, %v; want %d", name, got, err, want)
		}
	}
	if got, err := p.int("absent", 11); err != nil || got != 11 {
		t.Errorf("default int = %d, %v", got, err)
	}
	for _, name := range []string{"e", "f", "g", "h"} {
		if _, err := p.int(name, 0); err == nil {
			t.Errorf("int %s accepted", name)
		}
	}
	if got, err := p.float("a", 0); err != nil || got != 5 {
		t.Errorf("float of int = %v, %v", got, err)
	}
	if _, err := p.float("f", 0); err == nil {
		t.Error("float of a string accepted")
	}
	if got, err := p.str("f", ""); err != nil || got != "x" {
		t.Errorf("str = %q, %v", got, err)
	}
	if _, err := p.str("a", ""); err == nil {
		t.Error("str of a number accepted")
	}
}

func TestChooseNameSuggests(t *testing.T) {
	linkages := []string{"ward", "average", "complete", "single"}
	err := chooseName("linkage", "avrage", linkages)
	if err == nil || !strings.Contains(err.Error(), `did you mean "average"`) {
		t.Errorf("error %v", err)
	}
	if err := chooseName("linkage", "single", linkages); err != nil {
		t.Error(err)
	}
}
