package spec

import (
	"fmt"
	"strings"
	"testing"
)

// A multi segmentation keeps each row's matches as a 64-bit set: a 65th rule is a validation error at that
// rule, not a run that fails after computing every feature.
func TestMultiSegmentationRuleLimit(t *testing.T) {
	spec := func(n int) []byte {
		var b strings.Builder
		b.WriteString("version: 1\nname: t\nentity: id\nsources:\n  s: {path: s.csv}\nsegmentations:\n  tags:\n    from: s\n    multi: true\n    rules:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - {segment: s%d, when: \"x > %d\"}\n", i, i)
		}
		return []byte(b.String())
	}
	_, diags := Parse("t.yaml", spec(64))
	for _, d := range diags {
		if d.Code == "segmentation.rules" {
			t.Fatalf("64 rules refused: %v", d)
		}
	}
	_, diags = Parse("t.yaml", spec(65))
	var found bool
	for _, d := range diags {
		if d.Code == "segmentation.rules" {
			found = true
			if d.Line != 75 || d.Path != "/segmentations/tags/rules/64" || !strings.Contains(d.Message, "at most 64 rules") {
				t.Errorf("diagnostic %+v, want the 65th rule at line 75", d)
			}
		}
	}
	if !found {
		t.Errorf("65 rules in a multi segmentation passed validation: %v", diags)
	}
}
