package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/expr-lang/expr/parser"
)

// Checks of audiences and priority lists that need no database: what they name exists, and the priority
// lists are unambiguous. Columns (where:, consent) are typed by the runner against the tables' columns.

func (c *checker) audiences() {
	for _, e := range c.s.Audiences {
		base := StepPointer("audience", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		a := e.Value
		c.segmentChoice(base+"/include", a.Include)
		c.segmentChoice(base+"/exclude", a.Exclude)
		if a.From != "" {
			c.ref(base+"/from", a.From, "from", "source", "feature", "segmentation")
		}
		if a.Consent != nil {
			c.ref(base+"/consent/from", a.Consent.From, "consent from", "source", "feature", "segmentation")
		}
		if a.Where != "" && !c.s.IsBroken(base+"/where") {
			if _, err := parser.Parse(a.Where); err != nil {
				c.exprError(base+"/where", err)
			}
		}
	}
	c.priorityLists()
	c.destinations()
}

// destinations: every destination an audience names exists, none is delivered by two audiences (their
// files would overwrite each other), none writes an export's file, and one no audience uses is warned
// about.
func (c *checker) destinations() {
	usedBy := map[string]string{}
	for _, e := range c.s.Audiences {
		base := StepPointer("audience", e.Key)
		for i, dn := range e.Value.Destinations {
			at := fmt.Sprintf("%s/destinations/%d", base, i)
			if c.s.IsBroken(at) {
				continue
			}
			if _, ok := c.s.Destinations.Get(dn); !ok {
				sugg := Nearest(dn, c.s.Destinations.Keys())
				c.errorAt(at, "ref.unknown", fmt.Sprintf("destination %q is not one of destinations:%s", dn, didYouMean(sugg)), sugg)
				continue
			}
			if other, ok := usedBy[dn]; ok {
				c.errorAt(at, "destination.shared", fmt.Sprintf("destination %s is already audience %s's; give each audience its own (each writes its own file)", dn, other), "")
				continue
			}
			usedBy[dn] = e.Key
		}
	}
	exported := map[string]bool{}
	for _, ex := range c.s.Exports {
		exported[ex.Path] = true
	}
	paths := map[string]string{}
	for _, e := range c.s.Destinations {
		base := Pointer("destinations", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		if _, ok := usedBy[e.Key]; !ok {
			c.warnAtKey(base, "unused", fmt.Sprintf("destination %q is not delivered to by any audience (list it in an audience's destinations:)", e.Key), "")
		}
		if kinds := countTrue(e.Value.Path != "", e.Value.Postgres != nil, e.Value.Webhook != nil); kinds > 1 {
			c.errorAt(base, "destination.kinds", fmt.Sprintf("destination %s says more than one of path, postgres and webhook; a destination is one of them", e.Key), "")
		}
		switch prev, dup := paths[e.Value.Path]; {
		case e.Value.Path == "": // a table or a webhook
		case dup:
			c.errorAt(base+"/path", "destination.duplicate", fmt.Sprintf("destination %s already writes %q", prev, e.Value.Path), "")
		case exported[e.Value.Path]:
			c.errorAt(base+"/path", "destination.duplicate", fmt.Sprintf("an export already writes %q", e.Value.Path), "")
		default:
			paths[e.Value.Path] = e.Key
		}
	}
}

// segmentChoice checks include: or exclude: names segmentations, and, where a segmentation's segments are
// known without running it (rules), that the segments are its.
func (c *checker) segmentChoice(path string, choice Map[[]string]) {
	for _, e := range choice {
		at := path + "/" + escapePointer(e.Key)
		if !c.ref(at, e.Key, "segmentation", "segmentation") {
			continue
		}
		known := c.s.knownSegments(e.Key)
		if known == nil {
			continue
		}
		for i, seg := range e.Value {
			if !slices.Contains(known, seg) {
				sugg := Nearest(seg, known)
				hint := didYouMean(sugg)
				if sugg == "" {
					hint = " (it has " + strings.Join(known, ", ") + ")"
				}
				c.errorAt(fmt.Sprintf("%s/%d", at, i), "audience.segment", fmt.Sprintf("segmentation %s has no segment %q%s", e.Key, seg, hint), sugg)
			}
		}
	}
}

// knownSegments are the segments a rules segmentation can assign (its rules' and else), nil for other
// methods, whose segments only a run knows.
func (s *Spec) knownSegments(segmentation string) []string {
	seg, ok := s.Segmentations.Get(segmentation)
	if !ok || seg.Method() != "rules" || len(seg.Rules) == 0 {
		return nil
	}
	var out []string
	for _, r := range seg.Rules {
		out = append(out, r.Segment)
	}
	if seg.Else != "" {
		out = append(out, seg.Else)
	}
	return out
}

// priorityLists: every name is an audience, none twice in a list, none in two lists, and an audience's
// own priority_list: names the list that holds it.
func (c *checker) priorityLists() {
	listOf := map[string]string{}
	for _, e := range c.s.PriorityLists {
		base := Pointer("priority_lists", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		seen := map[string]int{}
		for i, name := range e.Value {
			at := fmt.Sprintf("%s/%d", base, i)
			if prev, dup := seen[name]; dup {
				c.errorAt(at, "priority_list.duplicate", fmt.Sprintf("audience %q is already item %d of priority list %s", name, prev+1, e.Key), "")
				continue
			}
			seen[name] = i
			if c.s.StepKind(name) != "audience" {
				sugg := Nearest(name, c.s.Audiences.Keys())
				c.errorAt(at, "ref.unknown", fmt.Sprintf("%q in priority list %s is not an audience%s", name, e.Key, didYouMean(sugg)), sugg)
				continue
			}
			if other, ok := listOf[name]; ok {
				c.errorAt(at, "priority_list.twice", fmt.Sprintf("audience %q is already in priority list %s; an audience is in at most one list", name, other), "")
				continue
			}
			listOf[name] = e.Key
		}
	}
	for _, e := range c.s.Audiences {
		at := StepPointer("audience", e.Key) + "/priority_list"
		list := e.Value.PriorityList
		if list == "" || c.s.IsBroken(at) {
			continue
		}
		if _, ok := c.s.PriorityLists.Get(list); !ok {
			sugg := Nearest(list, c.s.PriorityLists.Keys())
			c.errorAt(at, "ref.unknown", fmt.Sprintf("priority_list %q is not a list of priority_lists%s", list, didYouMean(sugg)), sugg)
			continue
		}
		if listOf[e.Key] != list {
			c.errorAt(at, "priority_list.member", fmt.Sprintf("audience %s says it is in priority list %s, which does not list it; add it there (priority_lists decides the order)", e.Key, list), "")
		}
	}
}

// PriorityAbove lists the audiences before audience in its priority list (none when it is in no list or
// first): the entities they take are not the audience's.
func (s *Spec) PriorityAbove(audience string) []string {
	for _, e := range s.PriorityLists {
		if i := slices.Index(e.Value, audience); i >= 0 {
			return slices.Clone(e.Value[:i])
		}
	}
	return nil
}

// countTrue counts the conditions that hold.
func countTrue(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}
