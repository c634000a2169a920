package runner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// kpiKind: a KPI, one aggregate SQL expression over a table's rows (kpis:), computed for the members of
// every segment of its segmentations and for their population once those segmentations have run, and
// published with their versions. Its graph node ("kpi:<name>") reads its from table and its
// segmentations, so from stays in the workspace until the KPI has run; it produces no table.
var kpiKind = &stepKind{
	name: KindKPI,
	owns: func(node string) bool { return strings.HasPrefix(node, kpiNodePrefix) },
	connect: func(c *validator, g *Graph, inputs map[string][]string) error {
		for _, e := range c.s.KPIs {
			node := kpiNode(e.Key)
			g.Add(node)
			if c.s.IsBroken(spec.StepPointer(KindKPI, e.Key)) {
				continue
			}
			if isStep(c.s, e.Value.From) {
				g.Connect(e.Value.From, node)
				inputs[node] = append(inputs[node], e.Value.From)
			}
			for _, seg := range kpiSegmentations(c.s, e.Value) {
				if kindOf(c.s, seg) == segmentationKind {
					g.Connect(seg, node)
					if !slices.Contains(inputs[node], seg) {
						inputs[node] = append(inputs[node], seg)
					}
				}
			}
		}
		return nil
	},
	typeNode: func(c *validator, node string) { c.typeKPI(strings.TrimPrefix(node, kpiNodePrefix)) },
	node: func(c *validator, st *Step, inputs map[string][]string) {
		name := strings.TrimPrefix(st.node, kpiNodePrefix)
		k, _ := c.s.KPIs.Get(name)
		st.Kind, st.Name, st.Inputs, st.Outputs = KindKPI, name, inputs[st.node], []string{}
		st.Method = kpiFormat(k)
		st.Pointer = spec.StepPointer(KindKPI, name)
	},
	dotShape: "cds",
	mermaid:  [2]string{"([", "])"},
	run: func(e *execution, ctx context.Context, name string) (int64, error) {
		return e.runKPI(ctx, name)
	},
	uses: true,
}

const kpiNodePrefix = "kpi:"

func kpiNode(name string) string { return kpiNodePrefix + name }

// kpiSegmentations are the segmentations a KPI is computed for: those it names, or every one.
func kpiSegmentations(s *spec.Spec, k spec.KPI) []string {
	if len(k.Segmentations) > 0 {
		return k.Segmentations
	}
	return s.Segmentations.Keys()
}

// kpiFormat is how a KPI's value reads: number, percent or currency.
func kpiFormat(k spec.KPI) string {
	if k.Format == "" {
		return "number"
	}
	return k.Format
}

// typeKPI checks a KPI without data, against the stand-in tables: its from table has the entity column,
// its value is one expression (sql.CheckExpression), aggregates the rows (bound with GROUP BY (), a column
// outside an aggregate is an error) and is a number.
func (c *validator) typeKPI(name string) {
	base := spec.StepPointer(KindKPI, name)
	if c.s.BrokenWithin(base) {
		return
	}
	k, _ := c.s.KPIs.Get(name)
	valueAt := base + "/value"
	// PostgreSQL's parser needs no server, nor the tables: on engine postgres the value is parsed even
	// when its inputs cannot be typed (offline).
	if c.s.IsPostgres() && !c.valueParses(name, valueAt, k.Value) {
		return
	}
	for _, dep := range c.v.Graph.Deps(kpiNode(name)) {
		if reason, ok := c.unknown[dep]; ok {
			if !strings.HasSuffix(reason, "has errors") {
				c.skip("kpi %s: not type-checked, because %s", name, reason)
			}
			return
		}
	}
	cols := c.v.Columns[k.From]
	if !slices.ContainsFunc(cols, func(col sql.Column) bool { return col.Name == c.s.Entity }) {
		c.errorAt(base+"/from", "kpi.entity", fmt.Sprintf("KPI %q: %s %q has no column %q (the entity column): a KPI aggregates the rows of each segment's members",
			name, c.kindOf(k.From).name, k.From, c.s.Entity), "")
		return
	}
	if !c.s.IsPostgres() && !c.valueParses(name, valueAt, k.Value) {
		return
	}
	const prefix = "SELECT "
	got, err := c.db.Describe(c.ctx, prefix+k.Value+" FROM "+sql.Ident(k.From)+" GROUP BY ()")
	if errors.Is(err, postgres.ErrOffline) {
		c.skip("kpi %s: value parsed, not typed (no connection: set %s to type it on the server)", name, c.s.PostgresDSNEnv())
		return
	}
	if err != nil {
		se, ok := err.(*sql.Error)
		if !ok {
			c.errorAt(valueAt, "kpi.value", fmt.Sprintf("KPI %q: %v", name, err), "")
			return
		}
		msg := se.Msg
		if m := outsideAggregate.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("must aggregate the members' rows (avg, sum, count, ...): column %q is outside any aggregate", m[1])
		}
		line, col := se.Line, se.Column
		if line == 1 {
			col -= len(prefix)
		}
		if line == 0 || col < 1 || line > 1+strings.Count(k.Value, "\n") {
			line, col = 1, 1
		}
		c.add(c.s.Doc.AtScalar(valueAt, line, col, spec.Error, "kpi.value", fmt.Sprintf("KPI %q: value: %s", name, msg), ""))
		return
	}
	if len(got) != 1 || !methods.IsNumeric(got[0].Type) {
		typ := "not one column"
		if len(got) == 1 {
			typ = got[0].Type
		}
		c.errorAt(valueAt, "kpi.type", fmt.Sprintf("KPI %q: value is %s; a KPI is a number (cast a boolean: avg(flag::INT))", name, typ), "")
	}
}

// valueParses checks a KPI's value is one SQL expression (checkExpression), reporting at its line:col
// when it is not.
func (c *validator) valueParses(name, valueAt, value string) bool {
	err := c.checkExpression(value)
	if err == nil {
		return true
	}
	se, ok := err.(*sql.Error)
	if !ok {
		c.errorAt(valueAt, "kpi.value", fmt.Sprintf("KPI %q: %v", name, err), "")
		return false
	}
	c.add(c.s.Doc.AtScalar(valueAt, se.Line, se.Column, spec.Error, "kpi.value", fmt.Sprintf("KPI %q: value: %s", name, se.Msg), ""))
	return false
}

// checkExpression checks that a KPI's value is one SQL expression, with the engine's own parser: DuckDB's,
// or on engine postgres PostgreSQL's (offline, through libpg_query).
func (c *validator) checkExpression(expr string) error {
	if c.s.IsPostgres() {
		return postgres.CheckExpression(expr)
	}
	return sql.CheckExpression(c.ctx, c.db, expr)
}

// outsideAggregate matches DuckDB's (and PostgreSQL's) binder error for a column read outside an aggregate under GROUP BY.
// PostgreSQL's names the column with its table (customers.amount).
var outsideAggregate = regexp.MustCompile(`column "(?:[^".]+\.)?([^"]+)" must appear in the GROUP BY clause`)
