package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	rulesmethod "github.com/segrun/segrun/runner/methods/rules"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// audienceKind: the entities a campaign reaches (audience.go): members of the included segments, less the
// excluded, where its condition holds and consent is given, less those a higher audience of its priority
// list took, split by a hash into treatment and a holdout control group. Its result table (entity,
// segment: treatment or control) stays for publishing, which stores it as a version like a
// segmentation's, so show, changes and exports read it as one.
var audienceKind = &stepKind{
	name:  KindAudience,
	uses:  true,
	steps: specSteps(KindAudience),
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		for _, e := range c.s.Audiences {
			if c.s.StepKind(e.Key) != KindAudience {
				continue // a name another step has (reported): its edges would be the other's
			}
			for _, in := range audienceInputs(c.s, e.Key) {
				if isStep(c.s, in) {
					g.Connect(in, e.Key)
					inputs[e.Key] = append(inputs[e.Key], in)
				}
			}
		}
		return nil
	},
	broken:  audienceBroken,
	columns: func(c *validator, name, path string) ([]sql.Column, error) { return c.typeAudience(name, path), nil },
	node: func(c *validator, st *Step, inputs map[string][]string) {
		st.Kind, st.Method, st.Inputs = KindAudience, "audience", inputs[st.node]
		a, _ := c.s.Audiences.Get(st.node)
		if a.Holdout != nil {
			st.Method = fmt.Sprintf("audience (holdout %g%%)", 100*a.Holdout.Share)
		}
		for _, dn := range a.Destinations { // delivered after publishing, as its files
			if d, ok := c.s.Destinations.Get(dn); ok {
				st.Outputs = append(st.Outputs, d.Path)
			}
		}
		st.Pointer = spec.StepPointer(KindAudience, st.node)
	},
	dotShape: "house",
	mermaid:  [2]string{">", "]"},
	run: func(e *execution, ctx context.Context, name string) (int64, error) {
		return e.runAudience(ctx, name)
	},
	kept: true,
}

// audienceBroken says whether an audience's shape errors make typing it meaningless: only an error in the
// audience as a whole; a broken include entry, where: or consent: is skipped on its own (typeAudience), so
// the others are still checked.
func audienceBroken(s *spec.Spec, path string) bool { return s.IsBroken(path) }

// audienceInputs are the tables an audience reads, in the order the plan shows them: the included and
// excluded segmentations, the table where: and destinations read, the consent table, and the audiences
// before it in its priority list (whose members it leaves to them).
func audienceInputs(s *spec.Spec, name string) []string {
	a, _ := s.Audiences.Get(name)
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, e := range a.Include {
		add(e.Key)
	}
	for _, e := range a.Exclude {
		add(e.Key)
	}
	if a.Where != "" || len(a.Destinations) > 0 { // a destination's columns come from it too (stageDeliveries)
		add(audienceFrom(s, a))
	}
	if a.Consent != nil {
		add(a.Consent.From)
	}
	for _, higher := range s.PriorityAbove(name) {
		add(higher)
	}
	return out
}

// audienceFrom is the table an audience's where: reads: its from, or the input of its first included
// segmentation.
func audienceFrom(s *spec.Spec, a spec.Audience) string {
	if a.From != "" || len(a.Include) == 0 {
		return a.From
	}
	seg, _ := s.Segmentations.Get(a.Include[0].Key)
	return seg.From
}

// readsTransactions says whether seg's method reads a row per event (a purchase), not one per entity.
func readsTransactions(seg spec.Segmentation) bool {
	m, ok := methods.Lookup(seg.Method())
	return ok && methods.ReadsTransactions(m)
}

// typeAudience checks what an audience reads against its inputs' columns and returns its result columns:
// the entity and its group (the segment, treatment or control).
func (c *validator) typeAudience(name, path string) []sql.Column {
	a, _ := c.s.Audiences.Get(name)
	var entity *sql.Column
	for _, e := range a.Include {
		cols := c.v.Columns[e.Key] // none for a name that is not a segmentation (reported)
		if i := slices.IndexFunc(cols, func(col sql.Column) bool { return col.Name == c.s.Entity }); i >= 0 {
			entity = &cols[i]
			break
		}
	}
	if entity == nil {
		return nil // the segmentations' own errors say why
	}
	if a.Where != "" && !c.s.BrokenWithin(path+"/where") && !c.s.BrokenWithin(path+"/from") {
		from := audienceFrom(c.s, a)
		at := path + "/where"
		if seg, ok := c.s.Segmentations.Get(a.Include[0].Key); a.From == "" && ok && readsTransactions(seg) {
			// Its input has a row per purchase: the run failed on where: with "values appear more than once".
			c.errorAt(at, "audience.where", fmt.Sprintf("where: reads %s, the input of %s (the first included segmentation), which has a row per purchase (%s reads transactions): give the audience from: a table with one row per %s, such as a feature",
				from, a.Include[0].Key, seg.Method(), c.s.Entity), "")
			from = "" // nothing more to check against it
		}
		if cols, known := c.v.Columns[from]; known && from != "" {
			c.audienceEntityIn(path+"/where", from, cols, entity.Type)
			env := rulesmethod.Env(cols, ruleVars(c.v.Vars))
			d := rules.Check(a.Where, from, env)
			if d == nil && c.s.IsPostgres() {
				d = rules.TranslateCheck(a.Where, env, rules.Postgres) // it runs inside the server, as SQL
			}
			if d != nil {
				if d.Line == 0 {
					c.errorAt(at, d.Code, d.Message, d.Suggestion)
				} else {
					c.add(c.s.Doc.AtScalar(at, d.Line, d.Column, spec.Error, d.Code, d.Message, d.Suggestion))
				}
			}
		}
	}
	if a.Consent != nil && !c.s.BrokenWithin(path+"/consent") {
		at := path + "/consent/column"
		if cols, known := c.v.Columns[a.Consent.From]; known {
			c.audienceEntityIn(path+"/consent/from", a.Consent.From, cols, entity.Type)
			i := slices.IndexFunc(cols, func(col sql.Column) bool { return col.Name == a.Consent.Column })
			switch {
			case i < 0:
				names := make([]string, len(cols))
				for j, col := range cols {
					names[j] = col.Name
				}
				sugg := spec.Nearest(a.Consent.Column, names)
				c.errorAt(at, "audience.consent", fmt.Sprintf("%s has no column %q%s", a.Consent.From, a.Consent.Column, suggestSuffix(sugg)), sugg)
			case cols[i].Type != "BOOLEAN":
				c.errorAt(at, "audience.consent", fmt.Sprintf("consent column %s of %s is %s; it must be BOOLEAN (true: consented), so cast it in SQL",
					a.Consent.Column, a.Consent.From, cols[i].Type), "")
			}
		}
	}
	// Its columns are known whatever the errors above (which stop the run): the audiences below it in its
	// priority list are checked too.
	return []sql.Column{*entity, {Name: "segment", Type: "VARCHAR"}}
}

// audienceEntityIn holds a table an audience reads to having the entity column, typed as the
// segmentations key it.
func (c *validator) audienceEntityIn(at, table string, cols []sql.Column, typ string) bool {
	i := slices.IndexFunc(cols, func(col sql.Column) bool { return col.Name == c.s.Entity })
	if i < 0 {
		names := make([]string, len(cols))
		for j, col := range cols {
			names[j] = col.Name
		}
		sugg := spec.Nearest(c.s.Entity, names)
		c.errorAt(at, "audience.entity", fmt.Sprintf("%s has no column %q, the entity an audience matches its tables on%s", table, c.s.Entity, suggestSuffix(sugg)), sugg)
		return false
	}
	if cols[i].Type != typ {
		c.errorAt(at, "audience.entity", fmt.Sprintf("%s is %s in %s but %s in the segmentations (cast it in SQL)", c.s.Entity, cols[i].Type, table, typ), "")
		return false
	}
	return true
}

// segmentIn is the SQL condition that an entity of a segmentation's result is in one of segments. The
// ENUM segment is compared as text: a name the segmentation cannot assign matches nothing rather than
// failing the cast.
func segmentIn(segments []string) string {
	lits := make([]string, len(segments))
	for i, s := range segments {
		lits[i] = sql.Literal(s)
	}
	return "segment::VARCHAR IN (" + strings.Join(lits, ", ") + ")"
}
