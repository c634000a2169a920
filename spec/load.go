package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Load reads and checks the spec at path: YAML syntax, the JSON Schema, then every check that needs no
// data or database. The spec is nil only when the file is not YAML at all. err is for the environment
// (an unreadable file), not for problems in the spec, which are diagnostics.
func Load(path string) (*Spec, Diagnostics, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	s, diags := Parse(path, src)
	return s, diags, nil
}

// Parse checks spec text; file names it in diagnostics and relative paths resolve against its directory.
func Parse(file string, src []byte) (*Spec, Diagnostics) {
	doc, diags := ParseDocument(file, src)
	if doc == nil {
		return nil, diags
	}
	diags = append(diags, doc.checkSchema()...)
	s := &Spec{Doc: doc, Dir: filepath.Dir(file), Broken: map[string]bool{}}
	if err := decodeSpec(doc, s); err != nil && !diags.HasErrors() {
		// The schema accepted the document, so this is a value the schema cannot express (an integer out of
		// range, say); say so rather than lose it.
		diags = append(diags, doc.diag(Pos{1, 1}, Error, "yaml.decode", strings.TrimPrefix(err.Error(), "yaml: "), ""))
	}
	for _, d := range diags {
		s.MarkBroken(d.Path)
	}
	s.Doc = doc
	diags = append(diags, s.check()...)
	diags.Sort()
	return s, diags
}

// decodeSpec decodes the YAML tree into the typed spec. yaml.v3 can panic on some malformed documents (a
// merge key beside a list used as a key, found by fuzzing, panics hashing the list); a spec file must never
// crash segrun, so such a panic becomes an error like any other.
func decodeSpec(doc *Document, s *Spec) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("this YAML cannot be read as a spec (%v)", r)
		}
	}()
	return doc.root.Decode(s)
}

// MarkBroken records that the element at path is invalid, so later checks skip it and what depends on it.
func (s *Spec) MarkBroken(path string) {
	if path != "" {
		s.Broken[path] = true
	}
}

// IsBroken reports whether the element at path, or one that contains it, was found invalid.
func (s *Spec) IsBroken(path string) bool {
	for p := path; ; {
		if s.Broken[p] {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// BrokenWithin reports whether the element at path, anything it contains, or anything containing it was
// found invalid: a step with any shape error is not type-checked.
func (s *Spec) BrokenWithin(path string) bool {
	if s.IsBroken(path) {
		return true
	}
	for p := range s.Broken {
		if strings.HasPrefix(p, path+"/") {
			return true
		}
	}
	return false
}

// Path resolves a path written in the spec against the spec's directory.
func (s *Spec) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// StorePath is the store file the spec names, resolved, or the default beside the spec.
func (s *Spec) StorePath() string {
	if s.Store == "" {
		return s.Path(DefaultStore)
	}
	if strings.HasPrefix(s.Store, "postgres:") {
		return s.Store // a schema of the PostgreSQL database (sql/store/postgres.go), not a file beside the spec
	}
	return s.Path(s.Store)
}

// StepMap is one of the spec's maps of named steps, which share one namespace of workspace tables: the
// kind its steps are, the spec's key for it, and its names in file order. A new kind of step with a map
// in the spec is one more entry here (and its value in runner's step-kind registry).
type StepMap struct {
	Kind  string
	Key   string
	Names func(*Spec) []string
}

// StepMaps are the spec's step maps, in the order their steps are listed.
var StepMaps = []StepMap{
	{"source", "sources", func(s *Spec) []string { return s.Sources.Keys() }},
	{"feature", "features", func(s *Spec) []string { return s.Features.Keys() }},
	{"segmentation", "segmentations", func(s *Spec) []string { return s.Segmentations.Keys() }},
	{"kpi", "kpis", func(s *Spec) []string { return s.KPIs.Keys() }},
	{"model", "models", func(s *Spec) []string { return s.Models.Keys() }},
	{"audience", "audiences", func(s *Spec) []string { return s.Audiences.Keys() }},
}

// StepKind tells what a name refers to: the Kind of the StepMap holding it, or "" if nothing.
func (s *Spec) StepKind(name string) string {
	for _, m := range StepMaps {
		if slices.Contains(m.Names(s), name) {
			return m.Kind
		}
	}
	return ""
}

// StepNames lists every step's name in file order, map by map (sources first).
func (s *Spec) StepNames() []string {
	var names []string
	for _, m := range StepMaps {
		names = append(names, m.Names(s)...)
	}
	return names
}

// StepPointer is the JSON pointer of a step by kind and name.
func StepPointer(kind, name string) string {
	return Pointer(kind+"s", name)
}

// SQLText is a feature's SQL and where it came from: the spec file (pointer into it) or a .sql file.
type SQLText struct {
	SQL string
	// File is the .sql file's path (as resolved against the spec), or "" when the SQL is inline.
	File string
	// Pointer is the spec element holding the SQL or the sql_file reference.
	Pointer string
}

// FeatureSQL returns a feature's SQL text, reading sql_file if that is how it is given. Each file is read
// once per Spec, the first time it is asked for (the spec checks, during Load): validation, the plan and
// the run all see those same bytes, and the spec hash is computed from them, so a file edited while a
// run is under way cannot make the run execute or record SQL other than the SQL it validated.
func (s *Spec) FeatureSQL(name string) (SQLText, error) {
	f, ok := s.Features.Get(name)
	if !ok {
		return SQLText{}, fmt.Errorf("no feature %q", name)
	}
	base := StepPointer("feature", name)
	if f.SQLFile == "" {
		return SQLText{SQL: f.SQL, Pointer: base + "/sql"}, nil
	}
	path := s.Path(f.SQLFile)
	if s.sqlFiles == nil {
		s.sqlFiles = map[string]readFile{}
	}
	r, ok := s.sqlFiles[path]
	if !ok {
		src, err := os.ReadFile(path)
		r = readFile{src: string(src), err: err}
		s.sqlFiles[path] = r
	}
	if r.err != nil {
		return SQLText{File: path, Pointer: base + "/sql_file"}, r.err
	}
	return SQLText{SQL: r.src, File: path, Pointer: base + "/sql_file"}, nil
}

// readFile is a file's content as first read, or why it could not be read.
type readFile struct {
	src string
	err error
}
