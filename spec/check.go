package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/rules"
)

// ReservedPrefix starts the names of segrun's own tables; steps may not use it.
const ReservedPrefix = "segrun_"

// NoiseSegment is the segment of points DBSCAN leaves out of every cluster.
const NoiseSegment = "noise"

// checker runs the checks that need neither data nor a database.
type checker struct {
	s     *Spec
	diags Diagnostics
}

func (s *Spec) check() Diagnostics {
	c := &checker{s: s}
	c.names()
	c.engine()
	c.vars()
	c.features()
	c.segmentations()
	c.exports()
	c.kpis()
	c.audiences()
	c.outcomes()
	return c.diags
}

func (c *checker) add(d Diagnostic) {
	c.diags = append(c.diags, d)
	c.s.MarkBroken(d.Path)
}

func (c *checker) errorAt(path, code, msg, sugg string) {
	c.add(c.s.Doc.At(path, Error, code, msg, sugg))
}

func (c *checker) errorAtKey(path, code, msg, sugg string) {
	c.add(c.s.Doc.AtKey(path, Error, code, msg, sugg))
}

func (c *checker) warnAtKey(path, code, msg, sugg string) {
	c.diags = append(c.diags, c.s.Doc.AtKey(path, Warning, code, msg, sugg)) // a warning breaks nothing
}

// names: step names are table names in one namespace, so they must be unique across kinds.
func (c *checker) names() {
	type seen struct{ kind, path string }
	first := map[string]seen{}
	visit := func(kind string, keys []string) {
		for _, name := range keys {
			path := StepPointer(kind, name)
			if strings.HasPrefix(name, ReservedPrefix) {
				c.errorAtKey(path, "name.reserved", fmt.Sprintf("names starting with %q are reserved for segrun's own tables", ReservedPrefix), "")
			}
			if prev, dup := first[name]; dup {
				c.errorAtKey(path, "name.duplicate", fmt.Sprintf("%s %q has the same name as the %s at line %d; sources, features and segmentations share one namespace",
					kind, name, prev.kind, c.s.Doc.KeyPos(prev.path).Line), "")
				continue
			}
			first[name] = seen{kind, path}
		}
	}
	for _, m := range StepMaps {
		visit(m.Kind, m.Names(c.s))
	}
}

func (c *checker) vars() {
	if _, ok := c.s.Vars.Get("as_of"); ok {
		c.errorAtKey(Pointer("vars", "as_of"), "var.reserved", "as_of is not a spec var: it is set per run with --as-of, so that every run states the date it is computed for", "")
	}
}

// ref checks that a name used at path is a step (of one of kinds, when given) and suggests the nearest.
func (c *checker) ref(path, name, what string, kinds ...string) bool {
	if c.s.IsBroken(path) || name == "" {
		return false
	}
	kind := c.s.StepKind(name)
	accepts := func(k string) bool {
		if len(kinds) == 0 {
			return slices.Contains(TableKinds, k)
		}
		return slices.Contains(kinds, k)
	}
	if kind != "" && accepts(kind) {
		return true
	}
	var candidates []string
	for _, n := range c.s.StepNames() {
		if k := c.s.StepKind(n); accepts(k) {
			candidates = append(candidates, n)
		}
	}
	sugg := Nearest(name, candidates)
	msg := fmt.Sprintf("%s %q is not a %s", what, name, strings.Join(orKinds(kinds), " or "))
	if kind != "" {
		msg = fmt.Sprintf("%s %q is a %s, not a %s", what, name, kind, strings.Join(orKinds(kinds), " or "))
	}
	c.errorAt(path, "ref.unknown", msg+didYouMean(sugg), sugg)
	return false
}

// TableKinds are the step kinds whose steps are tables a step can read (a KPI is not).
var TableKinds = []string{"source", "feature", "segmentation", "model"}

func orKinds(kinds []string) []string {
	if len(kinds) == 0 {
		return []string{"source, feature, segmentation or model"}
	}
	return kinds
}

func (c *checker) features() {
	for _, e := range c.s.Features {
		base := StepPointer("feature", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		f := e.Value
		switch {
		case f.SQL != "" && f.SQLFile != "":
			c.errorAtKey(base+"/sql_file", "feature.sql", fmt.Sprintf("feature %q gives both sql and sql_file; keep one", e.Key), "")
		case f.SQL == "" && f.SQLFile == "":
			c.errorAtKey(base, "feature.sql", fmt.Sprintf("feature %q needs sql or sql_file", e.Key), "")
		case f.SQLFile != "":
			if _, err := c.s.FeatureSQL(e.Key); err != nil {
				// A file that is there but cannot be read is the environment's problem, not the spec's (exit 3).
				code, msg := CodeUnreadable, fmt.Sprintf("cannot read sql_file %q: %v", f.SQLFile, err)
				if errors.Is(err, fs.ErrNotExist) {
					code, msg = "ref.file", fmt.Sprintf("sql_file %q does not exist (looked for %s)", f.SQLFile, c.s.Path(f.SQLFile))
				}
				c.errorAt(base+"/sql_file", code, msg, "")
			}
		}
		for i, t := range f.Tests {
			c.test(Pointer("features", e.Key, "tests", i), t)
		}
	}
}

func (c *checker) test(path string, t Test) {
	if c.s.IsBroken(path) {
		return
	}
	switch len(t.Kinds) {
	case 0:
		c.errorAt(path, "test.kind", "a test needs one of "+strings.Join(TestKinds, ", "), "")
	case 1:
	default:
		c.errorAt(path, "test.kind", fmt.Sprintf("a test has exactly one kind; this one has %s: write one list item per test", strings.Join(t.Kinds, " and ")), "")
	}
	if t.Kind == "row_count" && t.Min != nil && t.Max != nil && *t.Min > *t.Max {
		c.errorAt(path+"/row_count", "test.range", fmt.Sprintf("row_count min %d is greater than max %d", *t.Min, *t.Max), "")
	}
	if t.Kind == "relationships" {
		c.ref(path+"/relationships/to", t.To, "relationships.to")
	}
}

func (c *checker) segmentations() {
	for _, e := range c.s.Segmentations {
		base := StepPointer("segmentation", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		seg := e.Value
		c.ref(base+"/from", seg.From, "from")
		if !methodBlockNamed(seg.Method()).check(c, e.Key, base, seg) {
			continue
		}
		c.segmentMetadata(e.Key, base, &seg)
		if m := seg.MinSize; m != nil && !c.s.IsBroken(base+"/min_size") && (m.Count > 0) == (m.Share > 0) {
			c.errorAt(base+"/min_size", "min_size", "min_size takes count or share (one of them)", "")
		}
		c.audits(base, seg)
	}
}

// The built-in method blocks are the registry's first entries (methodblock.go), in increasing precedence;
// their shape is schema/pipeline.schema.json's, so their Schema is nil. Set in init because the rules
// block's check names them all.
func init() {
	methodBlocks.list = []methodBlock{
		{MethodBlock{Name: "rules"}, func(*Segmentation) bool { return true }, (*checker).rulesSegmentation},
		{MethodBlock{Name: "rfm"}, func(s *Segmentation) bool { return s.RFM != nil }, func(c *checker, _, base string, seg Segmentation) bool {
			c.rules(base, seg)
			return true
		}},
		{MethodBlock{Name: "cluster"}, func(s *Segmentation) bool { return s.Cluster != nil }, (*checker).clusterSegmentation},
	}
}

func (c *checker) rulesSegmentation(name, base string, seg Segmentation) bool {
	if len(seg.Rules) == 0 {
		list := methodBlockList()
		blocks := make([]string, len(list))
		for i, b := range list {
			blocks[i] = b.Name
		}
		c.errorAtKey(base, "segmentation.method", fmt.Sprintf("segmentation %q needs %s or %s", name,
			strings.Join(blocks[:len(blocks)-1], ", "), blocks[len(blocks)-1]), "")
		return false
	}
	c.rules(base, seg)
	return true
}

// clusterSegmentation refuses the rules' keys beside a cluster block and checks the block.
func (c *checker) clusterSegmentation(name, base string, seg Segmentation) bool {
	for _, key := range []string{"rules", "else", "multi", "rfm"} {
		if c.s.Doc.Exists(base + "/" + key) {
			c.errorAtKey(base+"/"+key, "segmentation.method", fmt.Sprintf("%s does not apply to a cluster segmentation: clusters assign every entity themselves", key), "")
		}
	}
	c.cluster(name, base+"/cluster", seg.Cluster)
	return true
}

// registeredSegmentation refuses another method's block beside a registered one: the segmentation would
// silently be one method and not the other. Whether rules, else or multi apply is the method's to say.
func (c *checker) registeredSegmentation(name, base string, seg Segmentation) bool {
	method := seg.Method()
	for _, b := range methodBlockList() {
		if b.Name != method && b.Name != "rules" && c.s.Doc.Exists(base+"/"+escapePointer(b.Name)) {
			c.errorAtKey(base+"/"+escapePointer(b.Name), "segmentation.method", fmt.Sprintf("segmentation %q has both a %s and a %s block; a segmentation has one method", name, method, b.Name), "")
		}
	}
	return true
}

// rules checks segment names and each rule's expression syntax; types are checked later, against the
// input's columns.
func (c *checker) rules(base string, seg Segmentation) {
	seen := map[string]int{}
	for i, r := range seg.Rules {
		path := fmt.Sprintf("%s/rules/%d", base, i)
		if c.s.IsBroken(path) {
			continue
		}
		if r.Segment == PopulationSegment {
			c.errorAt(path+"/segment", "segment.reserved", ReservedSegmentMessage(segmentationName(base), r.Segment), "")
		}
		if prev, dup := seen[r.Segment]; dup {
			c.errorAt(path+"/segment", "segment.duplicate", fmt.Sprintf("segment %q is already assigned by rule %d; combine the conditions with || in one rule", r.Segment, prev+1), "")
		} else {
			seen[r.Segment] = i
		}
		if _, err := parser.Parse(r.When); err != nil {
			c.exprError(path+"/when", err)
		}
	}
	if seg.Multi && len(seg.Rules) > rules.MaxMultiRules {
		c.errorAt(fmt.Sprintf("%s/rules/%d", base, rules.MaxMultiRules), "segmentation.rules", fmt.Sprintf(
			"a multi segmentation takes at most %d rules (each row's matches are kept as a %d-bit set); this one has %d: split it into several segmentations",
			rules.MaxMultiRules, rules.MaxMultiRules, len(seg.Rules)), "")
	}
	if seg.Else == PopulationSegment {
		c.errorAt(base+"/else", "segment.reserved", ReservedSegmentMessage(segmentationName(base), seg.Else), "")
	}
	if seg.Else != "" {
		if i, dup := seen[seg.Else]; dup {
			c.errorAt(base+"/else", "segment.duplicate", fmt.Sprintf("else segment %q is also assigned by rule %d", seg.Else, i+1), "")
		}
	}
}

// segmentationName is the name of the segmentation at base (/segmentations/NAME).
func segmentationName(base string) string {
	return strings.TrimPrefix(base, "/segmentations/") // names are identifiers: nothing escaped
}

// exprError places an expr-lang error at its position inside the rule text.
func (c *checker) exprError(path string, err error) {
	c.add(ExprDiagnostic(c.s.Doc, path, err))
}

// ExprDiagnostic turns an expr-lang compile error into a diagnostic at its position in the rule.
func ExprDiagnostic(doc *Document, path string, err error) Diagnostic {
	var fe *file.Error
	if errors.As(err, &fe) {
		return doc.AtScalar(path, fe.Line, fe.Column+1, Error, "rule.syntax", "rule: "+fe.Message, "")
	}
	return doc.At(path, Error, "rule.syntax", "rule: "+err.Error(), "")
}

func (c *checker) cluster(name, base string, cl *Cluster) {
	if c.s.IsBroken(base) {
		return
	}
	k := cl.K
	fitter, err := algorithms.FitterFor(cl.Method)
	if err != nil { // the schema names the known methods; nothing more to say about an unknown one's k
		fitter = &algorithms.Fitter{Name: cl.Method}
	}
	switch {
	case fitter.FindsOwnK && k.IsSet():
		c.errorAtKey(base+"/k", "cluster.k", fmt.Sprintf("%s finds the number of clusters itself; remove k (tune params %s)",
			cl.Method, strings.Join(fitter.TunedBy, " and ")), "")
	case fitter.FindsOwnK:
		for _, p := range fitter.Required {
			if _, ok := cl.Params[p.Name]; !ok && !c.s.IsBroken(base+"/params") {
				c.errorAtKey(base, "cluster.params", fmt.Sprintf("%s needs params.%s, %s", cl.Method, p.Name, p.Meaning), "")
			}
		}
	case !k.IsSet() && !c.s.IsBroken(base+"/k"):
		c.errorAtKey(base, "cluster.k", fmt.Sprintf("%s needs k: a number of clusters, or {min, max} to search", cl.Method), "")
	case k.IsRange():
		if k.Min > k.Max {
			c.errorAt(base+"/k", "cluster.k", fmt.Sprintf("k.min %d is greater than k.max %d", k.Min, k.Max), "")
		}
		if k.By == "bic" && !fitter.Likelihood {
			c.errorAt(base+"/k/by", "cluster.k", "k.by: bic needs a likelihood; only "+strings.Join(likelihoodMethods(), ", ")+" has one (use silhouette, calinski_harabasz or davies_bouldin)", "")
		}
	}
	for _, t := range cl.Transform {
		if !slices.Contains(cl.Features, t.Key) {
			sugg := Nearest(t.Key, cl.Features)
			c.errorAtKey(base+"/transform/"+escapePointer(t.Key), "cluster.transform",
				fmt.Sprintf("transform of %q, which is not in features%s", t.Key, didYouMean(sugg)), sugg)
		}
	}
	c.clusterNames(base, cl)
	c.clusterMixed(base, cl)
}

// clusterNames checks `names:`: ids in range, names unique, and not clashing with generated names.
func (c *checker) clusterNames(base string, cl *Cluster) {
	ids := make([]string, 0, len(cl.Names))
	for id := range cl.Names {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	used := map[string]string{}
	maxK := max(cl.K.Value, cl.K.Max)
	for _, id := range ids {
		name := cl.Names[id]
		path := base + "/names/" + escapePointer(id)
		n, err := strconv.Atoi(id)
		if err != nil {
			continue // the schema reported it
		}
		if maxK > 0 && n >= maxK {
			// Not an error: a cluster that appears in a later version gets a fresh id above every earlier
			// one, and a team may name it once it has seen it.
			c.warnAtKey(path, "cluster.names", fmt.Sprintf("with k = %d a first fit numbers clusters 0 to %d: id %d names a cluster only once a later version gives a new cluster that id",
				maxK, maxK-1, n), "")
		}
		if name == PopulationSegment {
			c.errorAt(path, "segment.reserved", ReservedSegmentMessage(segmentationName(strings.TrimSuffix(base, "/cluster")), name), "")
		}
		if prev, dup := used[name]; dup {
			c.errorAt(path, "segment.duplicate", fmt.Sprintf("clusters %s and %s are both named %q", prev, id, name), "")
		}
		used[name] = id
		if strings.HasPrefix(name, "cluster_") && name != "cluster_"+id {
			c.errorAt(path, "cluster.names", fmt.Sprintf("%q would clash with the generated name of another cluster; pick a name not of the form cluster_N", name), "")
		}
		if name == NoiseSegment {
			c.errorAt(path, "cluster.names", fmt.Sprintf("%q is the segment of DBSCAN's noise points; pick another name", name), "")
		}
	}
}

func (c *checker) exports() {
	paths := map[string]int{}
	for i, ex := range c.s.Exports {
		base := Pointer("exports", i)
		if c.s.IsBroken(base) {
			continue
		}
		if c.s.StepKind(ex.Segmentation) != "audience" { // an audience's versions export as a segmentation's
			c.ref(base+"/segmentation", ex.Segmentation, "export of", "segmentation")
		}
		if prev, dup := paths[ex.Path]; dup {
			c.errorAt(base+"/path", "export.duplicate", fmt.Sprintf("export %d already writes %q", prev+1, ex.Path), "")
		}
		paths[ex.Path] = i
	}
}

// likelihoodMethods are the clustering methods whose fit has a likelihood (k.by: bic).
func likelihoodMethods() []string {
	var out []string
	for _, m := range algorithms.Methods() {
		if f, _ := algorithms.FitterFor(m); f.Likelihood {
			out = append(out, m)
		}
	}
	return out
}

// kpis checks each KPI's references: its from table and its segmentations. Typing its value needs the
// database (runner/kind_kpis.go).
func (c *checker) kpis() {
	for _, e := range c.s.KPIs {
		base := StepPointer("kpi", e.Key)
		if c.s.IsBroken(base) {
			continue
		}
		if !c.ref(base+"/from", e.Value.From, "from") {
			c.s.MarkBroken(base + "/from")
		}
		for i, seg := range e.Value.Segmentations {
			if !c.ref(base+Pointer("segmentations", i), seg, "KPI segmentation", "segmentation") {
				c.s.MarkBroken(base + "/segmentations")
			}
		}
		if len(c.s.Segmentations) == 0 {
			c.warnAtKey(base, "kpi.unused", fmt.Sprintf("KPI %q has no segmentation to be computed for", e.Key), "")
		}
	}
}
