package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// modelKind: a predictive model (model.go) fitted on its from table's training part, judged on the test
// part, and scoring its score table into a table of its own, named after the model: the entity, then
// <model>_class (classifiers), <model>_score and <model>_decile, which later features, rules and
// segmentations read like any step's columns.
var modelKind = &stepKind{
	name:  KindModel,
	uses:  true,
	steps: specSteps(KindModel),
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		for _, e := range c.s.Models {
			path := spec.StepPointer(KindModel, e.Key)
			refs := []struct{ table, at string }{{e.Value.From, "/from"}, {e.Value.Score, "/score"}}
			if w := e.Value.LabelWindow; w != nil {
				refs = append(refs, struct{ table, at string }{w.From, "/label_window/from"})
			}
			for _, ref := range refs {
				if ref.table == "" || c.s.IsBroken(path+ref.at) {
					continue
				}
				if !isStep(c.s, ref.table) {
					sugg := spec.Nearest(ref.table, c.s.StepNames())
					c.errorAt(path+ref.at, "ref.unknown", fmt.Sprintf("%q is not a source, feature, segmentation or model of this spec%s", ref.table, suggestSuffix(sugg)), sugg)
					continue
				}
				g.Connect(ref.table, e.Key)
				if !slices.Contains(inputs[e.Key], ref.table) {
					inputs[e.Key] = append(inputs[e.Key], ref.table)
				}
			}
		}
		return nil
	},
	broken: func(s *spec.Spec, path string) bool { return s.BrokenWithin(path) },
	columns: func(c *validator, name, path string) ([]sql.Column, error) {
		return c.typeModel(name, path)
	},
	node: func(c *validator, st *Step, inputs map[string][]string) {
		m, _ := c.s.Models.Get(st.node)
		st.Kind, st.Method, st.Inputs = KindModel, m.Method, inputs[st.node]
		st.Pointer = spec.StepPointer(KindModel, st.node)
	},
	dotShape: "diamond",
	mermaid:  [2]string{"{", "}"},
	run: func(e *execution, ctx context.Context, name string) (int64, error) {
		return e.runModel(ctx, name)
	},
	unusedWarned: false,
}

// Kinds of model columns: numbers (standardised), text (one-hot), booleans (a feature: 0/1; a label: two
// classes).
const (
	colNumber = "number"
	colText   = "text"
	colBool   = "boolean"
)

// modelColumnKind says how a model reads a column of DuckDB type t ("" when it cannot).
func modelColumnKind(t string) string {
	switch {
	case strings.EqualFold(t, "BOOLEAN"):
		return colBool
	case methods.IsNumeric(t):
		return colNumber
	case strings.EqualFold(t, "VARCHAR") || strings.HasPrefix(strings.ToUpper(t), "ENUM("):
		return colText
	}
	return ""
}

// regresses says whether a model predicts a number rather than classes: linear always; tree and
// boosted_trees when the label is a number that is not an integer (an integer label, such as 0/1, is
// classes, as for logistic; cast it to DOUBLE to regress on it); logistic never.
func regresses(method, labelType string) bool {
	switch method {
	case "linear":
		return true
	case "tree", "boosted_trees":
		return modelColumnKind(labelType) == colNumber && !isIntegerType(labelType)
	}
	return false
}

// modelOutput are a model's result columns after the entity: a classifier's class, then the score and
// decile.
func modelOutput(name string, regression bool) []sql.Column {
	cols := []sql.Column{{Name: name + "_score", Type: "DOUBLE"}, {Name: name + "_decile", Type: "INTEGER"}}
	if !regression {
		cols = append([]sql.Column{{Name: name + "_class", Type: "VARCHAR"}}, cols...)
	}
	return cols
}

// typeModel checks a model against its tables' columns, without data, and returns its result's columns.
func (c *validator) typeModel(name, path string) ([]sql.Column, error) {
	m, _ := c.s.Models.Get(name)
	input, ok := c.v.Columns[m.From]
	if !ok {
		return nil, nil
	}
	names := methods.ColumnNames(input)
	column := func(table string, cols []sql.Column, col, at, what string) (sql.Column, bool) {
		i := slices.IndexFunc(cols, func(x sql.Column) bool { return x.Name == col })
		if i < 0 {
			sugg := spec.Nearest(col, methods.ColumnNames(cols))
			c.errorAt(at, "model.column", fmt.Sprintf("%s has no column %q%s", table, col, suggestSuffix(sugg)), sugg)
			return sql.Column{}, false
		}
		return cols[i], true
	}
	ent, ok := column(m.From, input, c.s.Entity, path+"/from", "entity")
	if !ok {
		return nil, nil
	}
	if m.LabelWindow != nil {
		if input, ok = c.typeLabelWindow(name, path, m, input); !ok {
			return nil, nil
		}
		names = methods.ColumnNames(input)
	}
	if problem := entityTypeProblem(c.s.Entity, ent.Type); problem != "" {
		c.errorAt(path+"/from", "model.entity", fmt.Sprintf("%s: %s", m.From, problem), "")
		return nil, nil
	}
	good := true
	regression := false
	if label, ok := column(m.From, input, m.Label, path+"/label", "label"); !ok {
		good = false
	} else {
		regression = regresses(m.Method, label.Type)
		kind := modelColumnKind(label.Type)
		switch {
		case m.Label == c.s.Entity:
			c.errorAt(path+"/label", "model.label", fmt.Sprintf("the label %q is the entity column", m.Label), "")
			good = false
		case (m.Method == "tree" || m.Method == "boosted_trees") && kind == "":
			c.errorAt(path+"/label", "model.label", fmt.Sprintf("label %q is %s: %s predicts classes (a boolean, an integer such as 0/1, or text) or a number (DOUBLE, DECIMAL)", m.Label, label.Type, m.Method), "")
			good = false
		case m.Method == "logistic" && kind != colBool && kind != colText && !isIntegerType(label.Type):
			c.errorAt(path+"/label", "model.label", fmt.Sprintf("label %q is %s: %s predicts classes (a boolean, an integer such as 0/1, or text); use method: linear, tree or boosted_trees to predict a number", m.Label, label.Type, m.Method), "")
			good = false
		case m.Method == "linear" && kind != colNumber:
			c.errorAt(path+"/label", "model.label", fmt.Sprintf("label %q is %s: linear regression predicts a number; use method: logistic to predict classes", m.Label, label.Type), "")
			good = false
		}
	}
	for i, f := range m.Features {
		at := fmt.Sprintf("%s/features/%d", path, i)
		col, ok := column(m.From, input, f, at, "feature")
		switch {
		case !ok:
			good = false
		case f == m.Label:
			c.errorAt(at, "model.feature", fmt.Sprintf("feature %q is the label: a model must not read what it predicts", f), "")
			good = false
		case f == c.s.Entity:
			c.errorAt(at, "model.feature", fmt.Sprintf("feature %q is the entity column, an identifier, not a property of the entity", f), "")
			good = false
		case modelColumnKind(col.Type) == "":
			c.errorAt(at, "model.feature", fmt.Sprintf("feature %q is %s; a model reads numbers, booleans and text (cast it in SQL)", f, col.Type), "")
			good = false
		}
	}
	if m.Split.By != "" {
		if col, ok := column(m.From, input, m.Split.By, path+"/split/by", "split"); !ok {
			good = false
		} else if t := strings.ToUpper(col.Type); t != "DATE" && !strings.HasPrefix(t, "TIMESTAMP") {
			c.errorAt(path+"/split/by", "model.split", fmt.Sprintf("split by %q: it is %s, not a DATE or TIMESTAMP", m.Split.By, col.Type), "")
			good = false
		} else if _, err := c.db.Describe(c.ctx, "SELECT CAST(("+m.Split.TestAfter+") AS TIMESTAMP)"); err != nil {
			msg := err.Error()
			if se, ok := err.(*sql.Error); ok {
				msg = se.Msg
			}
			c.errorAt(path+"/split/test_after", "model.split", fmt.Sprintf("test_after is not a date expression: %s", msg), "")
			good = false
		}
	}
	if score := m.ScoreTable(); score != m.From && good {
		cols, ok := c.v.Columns[score]
		if !ok {
			return nil, nil
		}
		if sent, ok := column(score, cols, c.s.Entity, path+"/score", "entity"); !ok {
			good = false
		} else if sent.Type != ent.Type {
			c.errorAt(path+"/score", "model.entity", fmt.Sprintf("%s is %s in %s but %s in %s (cast it in SQL)", c.s.Entity, ent.Type, m.From, sent.Type, score), "")
			good = false
		}
		for i, f := range m.Features {
			j := slices.IndexFunc(cols, func(x sql.Column) bool { return x.Name == f })
			if j < 0 {
				c.errorAt(path+"/score", "model.column", fmt.Sprintf("%s, the table the model scores, has no column %q, a feature of the model", score, f), "")
				good = false
				continue
			}
			col := cols[j]
			fitted := input[slices.Index(names, f)]
			if modelColumnKind(col.Type) != modelColumnKind(fitted.Type) {
				c.errorAt(fmt.Sprintf("%s/features/%d", path, i), "model.feature", fmt.Sprintf("feature %q is %s in %s but %s in %s, which the model scores", f, fitted.Type, m.From, col.Type, score), "")
				good = false
			}
		}
	}
	if !good {
		return nil, nil
	}
	return append([]sql.Column{ent}, modelOutput(name, regression)...), nil
}

func isIntegerType(t string) bool {
	switch strings.ToUpper(t) {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return true
	}
	return false
}
