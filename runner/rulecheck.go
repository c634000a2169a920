package runner

import (
	"fmt"

	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
)

// Validation's use of the rule engine (runner/rules) beyond the rules method's own check (typing each rule,
// runner/methods/rules): warning about rules that can never match.

// shadowedRules warns about rules that can never match: with first-match-wins, a rule whose conditions
// imply an earlier rule's never gets a row, and a rule whose conditions contradict each other matches
// nothing (rules.Shadowed says which rules it can judge).
func (c *validator) shadowedRules() {
	vars := ruleVars(c.v.Vars)
	for _, e := range c.s.Segmentations {
		seg := e.Value
		if seg.Multi || len(seg.Rules) == 0 {
			continue
		}
		base := spec.StepPointer(KindSegmentation, e.Key)
		whens := make([]string, len(seg.Rules))
		for i, r := range seg.Rules {
			whens[i] = r.When
		}
		for _, u := range rules.Shadowed(whens, vars) {
			at := fmt.Sprintf("%s/rules/%d/when", base, u.Rule)
			if c.s.IsBroken(at) {
				continue
			}
			if u.By < 0 {
				c.warnAt(at, "rule.never", fmt.Sprintf("rule %d (%s) can never match: its conditions contradict each other", u.Rule+1, seg.Rules[u.Rule].Segment))
				continue
			}
			c.warnAt(at, "rule.shadowed", fmt.Sprintf("rule %d (%s) can never match: every row it matches is taken first by rule %d (%s)",
				u.Rule+1, seg.Rules[u.Rule].Segment, u.By+1, seg.Rules[u.By].Segment))
		}
	}
}
