package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// featureKind: a SELECT over sources and other features (inline sql or a sql_file, read once), run into
// a workspace table, with its data tests.
var featureKind = &stepKind{
	name:  KindFeature,
	steps: specSteps(KindFeature),
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		return c.connectFeatures(g, inputs)
	},
	broken:  func(s *spec.Spec, path string) bool { return s.BrokenWithin(path) },
	columns: func(c *validator, name, path string) ([]sql.Column, error) { return c.typeFeature(name, path) },
	typed: func(c *validator, name, path string, cols []sql.Column) {
		f, _ := c.s.Features.Get(name)
		for i, t := range f.Tests {
			c.typeTest(name, fmt.Sprintf("%s/tests/%d", path, i), t, cols)
		}
	},
	node: func(c *validator, st *Step, inputs map[string][]string) {
		st.Kind, st.Method, st.Inputs = KindFeature, "sql", inputs[st.node]
		st.Pointer = spec.StepPointer(KindFeature, st.node)
		st.SQL, _ = c.s.FeatureSQL(st.node)
	},
	dotShape:     "box",
	mermaid:      [2]string{"[", "]"},
	run:          func(e *execution, ctx context.Context, name string) (int64, error) { return e.runFeature(ctx, name) },
	unusedWarned: true,
}

// connectFeatures reads each feature's SQL for the tables it reads (its edges and inputs), reporting
// unknown tables, files read from SQL and functions that make a run depend on when it happens.
func (c *validator) connectFeatures(g *Graph, inputs map[string][]string) error {
	for _, e := range c.s.Features {
		base := spec.StepPointer(KindFeature, e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		text, err := c.s.FeatureSQL(e.Key)
		if err != nil {
			continue // reported by the spec checks
		}
		a, err := c.db.Analyze(c.ctx, text.SQL)
		if err != nil {
			se, ok := err.(*sql.Error)
			if !ok {
				return err
			}
			c.add(c.sqlDiag(text, se.Line, se.Column, spec.Error, "sql.syntax", "SQL: "+se.Msg, ""))
			c.s.MarkBroken(base)
			continue
		}
		for _, ref := range a.Tables {
			if ref.Schema != "" && ref.Schema != "main" {
				continue // a system table such as information_schema.tables
			}
			name := strings.ToLower(ref.Name)
			if c.s.IsPostgres() && name == postgres.VarsTable {
				continue // the run's vars (SELECT as_of FROM segrun_vars), in the run's schema
			}
			line, col := sql.OffsetPosition(text.SQL, ref.Offset)
			if !isStep(c.s, name) {
				sugg := spec.Nearest(name, c.s.StepNames())
				msg := fmt.Sprintf("SQL reads %q, which is not a source, feature or segmentation of this spec", ref.Name)
				if strings.ContainsAny(ref.Name, "./") {
					msg += "; declare files as a source rather than reading them from SQL"
				}
				if sugg != "" {
					msg += fmt.Sprintf("; did you mean %q?", sugg)
				}
				c.add(c.sqlDiag(text, line, col, spec.Error, "ref.unknown", msg, sugg))
				c.s.MarkBroken(base) // binding it would only report the same table again
				continue
			}
			g.Connect(name, e.Key)
			if !slices.Contains(inputs[e.Key], name) {
				inputs[e.Key] = append(inputs[e.Key], name)
			}
		}
		for _, fn := range a.TableFunctions {
			if strings.HasPrefix(fn.Name, "read_") || fn.Name == "parquet_scan" {
				line, col := sql.OffsetPosition(text.SQL, fn.Offset)
				c.add(c.sqlDiag(text, line, col, spec.Warning, "sql.reads_files",
					fmt.Sprintf("SQL reads files with %s(); declare them as a source so their columns are checked and their fingerprint recorded", fn.Name), ""))
			}
		}
		for _, fn := range a.Functions {
			if alt, ok := nondeterministic[fn.Name]; ok {
				line, col := sql.OffsetPosition(text.SQL, fn.Offset)
				c.add(c.sqlDiag(text, line, col, spec.Warning, "sql.nondeterministic",
					fmt.Sprintf("%s() makes results depend on when the pipeline runs; use %s so runs reproduce", fn.Name, alt), ""))
			}
		}
		for _, t := range e.Value.Tests {
			if t.Kind == "relationships" && isStep(c.s, t.To) {
				g.Connect(t.To, e.Key)
			}
		}
	}
	return nil
}

// featureSQL is the SQL the plan holds for feature name.
func (p *Plan) featureSQL(name string) (spec.SQLText, error) {
	st := p.step(name)
	if st == nil || st.Kind != KindFeature {
		return spec.SQLText{}, fmt.Errorf("the plan holds no SQL for feature %q", name)
	}
	return st.SQL, nil
}
