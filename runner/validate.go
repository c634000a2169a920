package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// ValidateOptions tune validation.
type ValidateOptions struct {
	// NoData validates without reading data files: declared source columns stand in for the files, and
	// what cannot be known without data is skipped and listed.
	NoData bool
	// AsOf and Vars type-check SQL and rules with the values a run would use; zero AsOf uses a placeholder,
	// since only types matter.
	AsOf time.Time
	Vars map[string]string
}

// Validation is everything validation learned: the problems, the plan, and each step's output columns,
// which the run reuses.
type Validation struct {
	Spec        *spec.Spec
	Plan        *Plan
	Graph       *Graph
	Diagnostics spec.Diagnostics
	// Skipped says which checks could not run and why.
	Skipped []string
	// Columns are each step's output columns, where they could be derived.
	Columns map[string][]sql.Column
	Vars    []Var
	// Sources holds each source's resolved read: format, files and the SQL reading them.
	Sources map[string]SourceRead
	// EntityType is the entity column's type in every segmentation input; the store keys entities by it.
	EntityType string
	// PII holds, per table, its personal columns and their kinds (pii.go); EntityPII is the entity
	// column's kind when it is personal somewhere.
	PII       map[string]map[string]string
	EntityPII string
}

// SourceRead is how a source is read: the reader's options, and for CSV what the reader checks.
type SourceRead struct {
	Format  string
	Paths   []string
	Options map[string]any
	CSV     sql.CSVRead
}

// Valid reports whether validation found no errors.
func (v *Validation) Valid() bool { return v.Spec != nil && !v.Diagnostics.HasErrors() }

// Validate checks the spec at path as deeply as it can without running it. err reports an environment
// problem (an unreadable file, DuckDB failing to start, the engine's server out of reach), not a spec
// problem; with err, the Validation still holds the spec once it was loaded (Run says what a failure
// on engine postgres published).
func Validate(ctx context.Context, path string, o ValidateOptions) (*Validation, error) {
	s, diags, err := spec.Load(path)
	if err != nil {
		return nil, err
	}
	v := &Validation{Spec: s, Diagnostics: diags, Columns: map[string][]sql.Column{}, Sources: map[string]SourceRead{}}
	if s == nil {
		return v, nil
	}
	db, err := validationWorkspace(ctx, s)
	if err != nil {
		return v, err
	}
	defer db.Close()
	c := &validator{ctx: ctx, v: v, s: s, db: db, o: o, unknown: map[string]string{}, emptyRejected: map[string][]string{}}
	if err := c.run(); err != nil {
		return v, err
	}
	v.Diagnostics.Sort()
	return v, nil
}

type validator struct {
	ctx context.Context
	v   *Validation
	s   *spec.Spec
	db  sql.Workspace
	o   ValidateOptions
	// unknown holds, for steps whose columns could not be derived, why not.
	unknown map[string]string
	// entityFrom is the input that first set Validation.EntityType, for messages.
	entityFrom string
	// emptyRejected lists, per source, the declared columns whose type no empty string parses as.
	emptyRejected map[string][]string
}

func (c *validator) run() error {
	if err := c.reservedWords(); err != nil {
		return err
	}
	if err := c.vars(); err != nil {
		return err
	}
	if err := c.buildGraph(); err != nil {
		return err
	}
	c.engineMethods()
	for _, name := range c.v.Graph.Order() {
		if err := c.typeStep(name); err != nil {
			return err
		}
	}
	c.personalColumns()
	c.typeAllDestinations()
	c.typeOutcomes()
	c.unused()
	c.shadowedRules()
	return nil
}

func (c *validator) add(d spec.Diagnostic) {
	c.v.Diagnostics = append(c.v.Diagnostics, d)
	if d.Severity == spec.Error {
		c.s.MarkBroken(d.Path)
	}
}

func (c *validator) errorAt(path, code, msg, sugg string) {
	c.add(c.s.Doc.At(path, spec.Error, code, msg, sugg))
}

func (c *validator) errorAtKey(path, code, msg, sugg string) {
	c.add(c.s.Doc.AtKey(path, spec.Error, code, msg, sugg))
}

func (c *validator) warnAt(path, code, msg string) {
	c.add(c.s.Doc.At(path, spec.Warning, code, msg, ""))
}

func (c *validator) skip(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(c.v.Skipped, msg) {
		c.v.Skipped = append(c.v.Skipped, msg)
	}
}

// reservedWords rejects step names DuckDB reserves: a table called "order" or "group" cannot be read
// without quoting, and feature SQL would fail in confusing ways.
func (c *validator) reservedWords() error {
	kw, err := c.db.Keywords(c.ctx)
	if err != nil {
		return err
	}
	for _, k := range tableKinds() {
		for _, name := range k.steps(c.s) {
			if kw[name] {
				c.errorAtKey(spec.StepPointer(k.name, name), "name.reserved",
					fmt.Sprintf("%q is a reserved word in SQL; pick another name (for example %s_)", name, name), "")
			}
		}
	}
	return nil
}

// kindOf returns the kind of the step or graph node called name: a table kind that lists it, or the
// kind whose nodes are not tables (exports).
func (c *validator) kindOf(name string) *stepKind {
	return kindOf(c.s, name)
}

func kindOf(s *spec.Spec, name string) *stepKind {
	for _, k := range stepKinds {
		if k.steps != nil && slices.Contains(k.steps(s), name) || k.steps == nil && k.owns != nil && k.owns(name) {
			return k
		}
	}
	return kindNamed(KindExport)
}

// vars types the vars and sets them as DuckDB variables, so SQL reading getvariable() binds with the types
// a run will give it.
func (c *validator) vars() error {
	asOf := c.o.AsOf
	if asOf.IsZero() {
		asOf = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	vars, err := ResolveVars(c.s, c.o.Vars, asOf)
	if err != nil {
		c.errorAt("/vars", "var.invalid", err.Error(), "")
		vars, _ = ResolveVars(c.s, nil, asOf)
	}
	c.v.Vars = vars
	for _, v := range vars {
		if err := c.db.SetVariable(c.ctx, v.Name, v.Type, v.Value); err != nil {
			return fmt.Errorf("setting var %s: %w", v.Name, err)
		}
	}
	return nil
}

// sqlDiag locates an error inside a feature's SQL, in the spec or in its .sql file.
func (c *validator) sqlDiag(t spec.SQLText, line, col int, sev spec.Severity, code, msg, sugg string) spec.Diagnostic {
	if t.File != "" {
		return spec.Diagnostic{File: t.File, Line: max(line, 1), Column: max(col, 1), Severity: sev, Code: code,
			Message: msg, Suggestion: sugg, Path: t.Pointer}
	}
	if line == 0 {
		return c.s.Doc.At(t.Pointer, sev, code, msg, sugg)
	}
	return c.s.Doc.AtScalar(t.Pointer, line, col, sev, code, msg, sugg)
}

// nondeterministic are SQL functions whose result depends on when or how often a run happens.
var nondeterministic = map[string]string{
	"now": "getvariable('as_of')", "current_date": "getvariable('as_of')", "current_timestamp": "getvariable('as_of')",
	"today": "getvariable('as_of')", "get_current_timestamp": "getvariable('as_of')", "get_current_time": "getvariable('as_of')",
	"transaction_timestamp": "getvariable('as_of')", "random": "hash() of a key", "uuid": "a key from the data",
	"gen_random_uuid": "a key from the data",
}

// buildGraph reads each feature's SQL with DuckDB's parser to find the tables it reads, links every step to
// its inputs, and reports unknown tables and cycles.
func (c *validator) buildGraph() error {
	g := NewGraph()
	c.v.Graph = g
	for _, k := range tableKinds() {
		for _, name := range k.steps(c.s) {
			g.Add(name)
		}
	}
	inputs := map[string][]string{}
	for _, k := range stepKinds {
		if err := k.connect(c, g, inputs); err != nil {
			return err
		}
	}
	for _, cycle := range g.Cycles() {
		first := cycle[0]
		c.errorAtKey(spec.StepPointer(c.kindOf(first).name, first), "dag.cycle",
			fmt.Sprintf("cycle: %s; a step cannot read its own output, directly or through others", FormatCycle(cycle)), "")
		for _, n := range cycle {
			c.s.MarkBroken(spec.StepPointer(c.kindOf(n).name, n))
		}
	}
	c.v.Plan = c.plan(inputs)
	return nil
}

func (c *validator) plan(inputs map[string][]string) *Plan {
	p := &Plan{Pipeline: c.s.Name}
	for _, node := range c.v.Graph.Order() {
		st := Step{Name: node, node: node, Outputs: []string{node}}
		c.kindOf(node).node(c, &st, inputs)
		if st.Inputs == nil {
			st.Inputs = []string{}
		}
		p.Steps = append(p.Steps, st)
	}
	p.SpecHash = specHash(c.s)
	p.DefinitionHashes = definitionHashes(c.s, p)
	return p
}

func extOf(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i:]
	}
	return ""
}

func sourceFormat(src spec.Source) string {
	if src.Format != "" {
		return src.Format
	}
	if len(src.Path) > 0 {
		return sql.DetectFormat(src.Path[0])
	}
	return ""
}

// unused warns about sources and features no segmentation or KPI reads, directly or not: they cost run time and
// are usually left over from an edit.
func (c *validator) unused() {
	used := map[string]bool{}
	for _, node := range c.v.Graph.names { // every node, those on a cycle (left out of Order) too
		if !c.kindOf(node).uses {
			continue
		}
		used[node] = true
		for _, up := range c.v.Graph.Upstream(node) {
			used[up] = true
		}
	}
	for _, o := range c.s.Outcomes {
		used[o.Value.From] = true // segrun measure reads it
	}
	if len(c.s.Segmentations) == 0 {
		return
	}
	for _, k := range tableKinds() {
		if !k.unusedWarned {
			continue
		}
		for _, name := range k.steps(c.s) {
			if !used[name] && !c.s.IsBroken(spec.StepPointer(k.name, name)) {
				c.add(c.s.Doc.AtKey(spec.StepPointer(k.name, name), spec.Warning, "unused",
					fmt.Sprintf("%s %q is not read by any segmentation, directly or through features", k.name, name), ""))
			}
		}
	}
}
