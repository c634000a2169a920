package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/postgres"
)

// typeStep derives a step's output columns, creating an empty table of them so that the steps reading it
// can be bound in turn. A step whose inputs are unknown is skipped, and the reason recorded.
func (c *validator) typeStep(name string) error {
	k := c.kindOf(name)
	if k.columns == nil {
		if k.typeNode != nil {
			k.typeNode(c, name) // a node that is no table, such as a KPI
		}
		return nil // an export: nothing to type
	}
	path := spec.StepPointer(k.name, name)
	if k.broken(c.s, path) {
		c.unknown[name] = fmt.Sprintf("%s %s has errors", k.name, name)
		return nil
	}
	for _, dep := range c.v.Graph.Deps(name) {
		if reason, ok := c.unknown[dep]; ok {
			c.engineCheckUntyped(k.name, name, path)
			c.unknown[name] = reason
			if !strings.HasSuffix(reason, "has errors") {
				c.skip("%s %s: not type-checked, because %s", k.name, name, reason)
			}
			return nil
		}
	}
	if c.s.IsPostgres() && !postgresTyped[k.name] {
		c.unknown[name] = fmt.Sprintf("%s %s is not checked on engine postgres yet", k.name, name)
		c.skip("%s %s: not type-checked on engine postgres yet (its SQL is built by the engine's wiring)", k.name, name)
		return nil
	}
	cols, err := k.columns(c, name, path)
	if err != nil {
		return err
	}
	if cols == nil {
		if _, ok := c.unknown[name]; !ok {
			c.unknown[name] = fmt.Sprintf("%s %s has errors", k.name, name)
		}
		return nil
	}
	c.v.Columns[name] = cols
	if err := c.db.CreateEmpty(c.ctx, name, cols); err != nil {
		return fmt.Errorf("creating stand-in table for %s: %w", name, err)
	}
	if k.typed != nil {
		k.typed(c, name, path, cols)
	}
	return nil
}

func (c *validator) typeSource(name, path string) ([]sql.Column, error) {
	if src, _ := c.s.Sources.Get(name); src.Table != "" {
		return c.typeTableSource(name, path, src)
	}
	src, _ := c.s.Sources.Get(name)
	format := sourceFormat(src)
	if format == "" {
		c.errorAt(path+"/path", "source.format", fmt.Sprintf("cannot tell the format of %q from its extension; set format: csv, parquet or json", src.Path[0]), "")
		return nil, nil
	}
	var known []string
	if len(src.Options) > 0 { // listing DuckDB's functions takes 20 ms: only when there are options to check
		var err error
		if known, err = c.db.ReaderOptions(c.ctx, format); err != nil {
			return nil, err
		}
	}
	optionsOK := true
	for opt := range src.Options {
		if !slices.Contains(known, opt) {
			sugg := spec.Nearest(opt, known)
			msg := fmt.Sprintf("%q is not an option of DuckDB's %s reader", opt, format)
			if sugg != "" {
				msg += fmt.Sprintf("; did you mean %q?", sugg)
			}
			c.errorAtKey(path+"/options/"+pointerToken(opt), "source.option", msg, sugg)
			optionsOK = false
		}
	}
	declared := c.declaredColumns(name, path, src)
	if !optionsOK || declared == nil && len(src.Columns) > 0 {
		return nil, nil
	}
	paths := make([]string, len(src.Path))
	for i, p := range src.Path {
		paths[i] = c.s.Path(p)
	}
	read := SourceRead{Format: format, Paths: paths, Options: src.Options}
	if format == "csv" {
		read.Options, read.CSV = sql.PlanCSV(name, src.Options, contractColumns(src.Columns), c.emptyRejected[name])
	}
	c.v.Sources[name] = read
	if c.o.NoData {
		if len(declared) == 0 {
			c.unknown[name] = fmt.Sprintf("--no-data and source %s declares no columns", name)
			c.skip("source %s: columns unknown without data (declare them under columns: to check what reads it)", name)
			return nil, nil
		}
		c.skip("source %s: files not read (--no-data); its declared columns are taken as its complete list", name)
		return declared, nil
	}
	for _, p := range src.Path {
		if !strings.ContainsAny(p, "*?[") {
			if _, err := os.Stat(c.s.Path(p)); err != nil {
				c.errorAt(path+"/path", "source.missing", fmt.Sprintf("source %s: %s does not exist (paths are relative to the spec file; use --no-data to validate without data)", name, c.s.Path(p)), "")
				return nil, nil
			}
			if err := readable(c.s.Path(p)); err != nil {
				c.errorAt(path+"/path", spec.CodeUnreadable, fmt.Sprintf("source %s: cannot read %s: %v", name, c.s.Path(p), err), "")
				return nil, nil
			}
		}
	}
	var files []string // a CSV source's files, globbed once for the checks and messages below
	if format == "csv" {
		var err error
		if files, err = c.db.Glob(c.ctx, paths); err != nil {
			return nil, err
		}
		if msg := c.db.CSVHeadersDisagree(c.ctx, files, src.Options); msg != "" {
			c.errorAt(path+"/path", "source.read", fmt.Sprintf("source %s: %s", name, msg), "")
			return nil, nil
		}
	}
	if format == "csv" && sql.Pinnable(paths, src.Options) {
		// Sniff once, here, with the options the run reads with; the run then reads without sniffing. A
		// file the sniffer cannot read is described below, which locates the problem for the message.
		if sniffed, err := c.db.SniffCSV(c.ctx, paths[0], read.Options); err == nil {
			pinned := sql.Pin(read.Options, sniffed)
			// Described through the pinned read (no sniffing): columns the reader adds, such as filename or
			// hive partitions, are there too.
			if cols, err := c.db.Describe(c.ctx, "SELECT * FROM "+sql.ReadSQL(format, paths, pinned)); err == nil {
				read.Options, read.CSV.Pinned = pinned, true
				c.v.Sources[name] = read
				return c.applyContract(name, path, cols, declared), nil
			}
		}
	}
	// Described as the user's options read it: a declared column missing from the file is reported by
	// applyContract, not as the reader's error about the types option.
	cols, err := c.db.Describe(c.ctx, "SELECT * FROM "+sql.ReadSQL(format, paths, src.Options))
	if err != nil {
		se, ok := err.(*sql.Error)
		if !ok {
			return nil, err
		}
		msg := se.Msg
		if format == "csv" {
			msg = sql.SourceReadMessage(files, se)
		}
		if se.Class() == sql.MissingFiles {
			msg = fmt.Sprintf("no file matches %s (paths are relative to the spec file; use --no-data to validate without data)", strings.Join(paths, ", "))
		}
		c.errorAt(path+"/path", "source.read", fmt.Sprintf("source %s: %s", name, msg), "")
		return nil, nil
	}
	return c.applyContract(name, path, cols, declared), nil
}

// declaredColumns returns the source's column contract, checking each declared type is one DuckDB knows.
func (c *validator) declaredColumns(name, path string, src spec.Source) []sql.Column {
	var cols []sql.Column
	ok := true
	for _, e := range src.Columns {
		typ := e.Value.Type
		if typ == "" {
			typ = "VARCHAR"
		}
		resolved, err := c.db.Describe(c.ctx, "SELECT NULL::"+typ)
		if err != nil || len(resolved) != 1 {
			c.errorAt(path+"/columns/"+pointerToken(e.Key)+"/type", "source.type",
				fmt.Sprintf("%q is not a DuckDB type (BIGINT, DOUBLE, VARCHAR, DATE, TIMESTAMP, DECIMAL(18,2)...)", e.Value.Type), "")
			ok = false
			continue
		}
		cols = append(cols, sql.Column{Name: e.Key, Type: resolved[0].Type})
		if e.Value.Type != "" && sql.RejectsEmpty(resolved[0].Type) {
			c.emptyRejected[name] = append(c.emptyRejected[name], e.Key)
		}
	}
	if !ok {
		return nil
	}
	return cols
}

// applyContract checks the declared columns exist in the files and gives them their declared types, as
// loading will (the run casts them and reports values that do not cast).
func (c *validator) applyContract(name, path string, cols, declared []sql.Column) []sql.Column {
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = col.Name
	}
	ok := true
	for _, d := range declared {
		i := slices.IndexFunc(cols, func(col sql.Column) bool { return col.Name == d.Name })
		if i < 0 {
			sugg := spec.Nearest(d.Name, names)
			msg := fmt.Sprintf("source %s has no column %q (it has %s)", name, d.Name, strings.Join(names, ", "))
			if sugg != "" {
				msg = fmt.Sprintf("source %s has no column %q; did you mean %q?", name, d.Name, sugg)
			}
			c.errorAtKey(path+"/columns/"+pointerToken(d.Name), "source.column", msg, sugg)
			ok = false
			continue
		}
		if d.Type != "" {
			cols[i].Type = d.Type
		}
	}
	if !ok {
		return nil
	}
	return cols
}

func (c *validator) typeFeature(name, path string) ([]sql.Column, error) {
	text, err := c.s.FeatureSQL(name)
	if err != nil {
		return nil, nil
	}
	cols, err := c.db.Describe(c.ctx, text.SQL)
	if errors.Is(err, postgres.ErrOffline) {
		c.unknown[name] = "engine postgres has no connection"
		c.skip("feature %s: parsed, not typed (set %s to type it on the server)", name, c.s.PostgresDSNEnv())
		return nil, nil
	}
	if err != nil {
		se, ok := err.(*sql.Error)
		if !ok {
			return nil, err
		}
		c.add(c.sqlDiag(text, se.Line, se.Column, spec.Error, "sql.bind", "SQL: "+se.Msg, ""))
		return nil, nil
	}
	seen := map[string]bool{}
	for _, col := range cols {
		if seen[col.Name] {
			c.add(c.sqlDiag(text, 0, 0, spec.Error, "sql.duplicate_column",
				fmt.Sprintf("feature %s has two columns named %q; alias one of them", name, col.Name), ""))
			return nil, nil
		}
		seen[col.Name] = true
	}
	return cols, nil
}

// typeTest checks a data test's columns exist and its SQL binds, so a typo fails in CI, not at 3 a.m.
func (c *validator) typeTest(feature, path string, t spec.Test, cols []sql.Column) {
	if c.s.IsBroken(path) {
		return
	}
	names := methods.ColumnNames(cols)
	for i, col := range t.Columns {
		if slices.Contains(names, col) {
			continue
		}
		at := path + "/" + t.Kind
		switch t.Kind {
		case "unique", "not_null":
			if len(t.Columns) > 1 || c.s.Doc.Exists(at+"/0") {
				at = fmt.Sprintf("%s/%d", at, i)
			}
		default:
			at += "/column"
		}
		sugg := spec.Nearest(col, names)
		msg := fmt.Sprintf("test %s: feature %s has no column %q", t.Kind, feature, col)
		if sugg != "" {
			msg += fmt.Sprintf("; did you mean %q?", sugg)
		}
		c.errorAt(at, "test.column", msg, sugg)
	}
	switch t.Kind {
	case "assert":
		const prefix = "SELECT ("
		got, err := c.db.Describe(c.ctx, prefix+t.Expr+") AS ok FROM "+sql.Ident(feature))
		at := path + "/assert"
		if err != nil {
			se, ok := err.(*sql.Error)
			if !ok || se.Line != 1 {
				c.errorAt(at, "test.assert", "assert: "+err.Error(), "")
				return
			}
			c.add(c.s.Doc.AtScalar(at, 1, max(1, se.Column-len(prefix)), spec.Error, "test.assert", "assert: "+se.Msg, ""))
			return
		}
		if len(got) == 1 && got[0].Type != "BOOLEAN" {
			c.errorAt(at, "test.assert", fmt.Sprintf("assert must be a boolean SQL expression; this one is %s", got[0].Type), "")
		}
	case "relationships":
		target, ok := c.v.Columns[t.To]
		if ok && !slices.Contains(methods.ColumnNames(target), t.Field) {
			sugg := spec.Nearest(t.Field, methods.ColumnNames(target))
			c.errorAt(path+"/relationships/field", "test.column", fmt.Sprintf("relationships: %s has no column %q%s", t.To, t.Field, suggestSuffix(sugg)), sugg)
		}
	}
}

func suggestSuffix(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", s)
}

func (c *validator) typeSegmentation(name, path string) ([]sql.Column, error) {
	seg, _ := c.s.Segmentations.Get(name)
	method, ok := methods.Lookup(seg.Method())
	if !ok { // a block registered in spec (spec.RegisterMethodBlock) whose method is not: segrun's bug
		return nil, fmt.Errorf("segmentation %s: no method is registered for its %s block (methods.Register)", name, seg.Method())
	}
	input, ok := c.v.Columns[seg.From]
	if !ok {
		return nil, nil
	}
	entity := slices.IndexFunc(input, func(col sql.Column) bool { return col.Name == c.s.Entity })
	if entity < 0 {
		sugg := spec.Nearest(c.s.Entity, methods.ColumnNames(input))
		c.errorAt(path+"/from", "segmentation.entity",
			fmt.Sprintf("%s has no column %q, the entity every segmentation assigns%s", seg.From, c.s.Entity, suggestSuffix(sugg)), sugg)
		return nil, nil
	}
	if problem := entityTypeProblem(c.s.Entity, input[entity].Type); problem != "" {
		c.errorAt(path+"/from", "segmentation.entity", fmt.Sprintf("%s: %s", seg.From, problem), "")
		return nil, nil
	}
	if typ := input[entity].Type; c.v.EntityType == "" {
		c.v.EntityType, c.entityFrom = typ, seg.From
	} else if typ != c.v.EntityType {
		c.errorAt(path+"/from", "segmentation.entity",
			fmt.Sprintf("%s is %s in %s but %s in %s: every segmentation must key entities the same way (cast it in SQL)",
				c.s.Entity, typ, seg.From, c.v.EntityType, c.entityFrom), "")
		return nil, nil
	}
	for _, reserved := range []string{"vars", AsOfVar} {
		if slices.Contains(methods.ColumnNames(input), reserved) && method.ReadsRunVars() {
			c.errorAt(path+"/from", "segmentation.column",
				fmt.Sprintf("%s has a column named %q, which rules use for the run's %s; rename it in SQL", seg.From, reserved, reserved), "")
			return nil, nil
		}
	}
	c.checkProfileColumns(seg, path, input)
	c.checkAudits(name, seg, path, input)
	out := []sql.Column{input[entity], {Name: "segment", Type: "VARCHAR"}}
	env := segCheckEnv{c: c, path: path, seg: seg, input: input}
	out = append(out, method.Check(env)...)
	if er, ok := method.(methods.EngineRunner); ok && c.s.IsPostgres() {
		er.CheckOnEngine(env, "postgres")
	}
	return out, nil
}

// checkProfileColumns holds the columns a segmentation's profile: names to columns of its input, each
// error at the name's position.
func (c *validator) checkProfileColumns(seg spec.Segmentation, path string, input []sql.Column) {
	if c.s.BrokenWithin(path + "/profile") {
		return
	}
	names := methods.ColumnNames(input)
	for i, col := range seg.Profile {
		if slices.Contains(names, col) {
			continue
		}
		sugg := spec.Nearest(col, names)
		msg := fmt.Sprintf("profile: %s has no column %q", seg.From, col)
		if sugg != "" {
			msg += fmt.Sprintf("; did you mean %q?", sugg)
		} else {
			msg += " (it has " + strings.Join(names, ", ") + ")"
		}
		c.errorAt(fmt.Sprintf("%s/profile/%d", path, i), "segmentation.column", msg, sugg)
	}
}

func pointerToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// readable reports why a file that exists cannot be read (permissions, a directory), which DuckDB would
// otherwise report as a problem of the source's definition.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Read(make([]byte, 1)); err != nil && err != io.EOF {
		return err
	}
	return nil
}
