package definitions

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

const hostile = `<script>alert("x")</script> & <b>bold</b>`

// hostileDocument has the spec's text everywhere the renderers write it.
func hostileDocument() *Document {
	v := int64(3)
	return &Document{
		Pipeline: "shop", Description: hostile, Owner: hostile, Spec: "shop.yaml", StoreNote: hostile,
		Vars: []Var{{"note", `"` + hostile + `"`}},
		Segmentations: []Segmentation{{
			Name: "lifecycle", Description: hostile, Owner: hostile, Method: "rules", From: "rfm", Basis: "first match",
			Details: []string{hostile},
			Segments: []Segment{{
				Name: "champions", Description: hostile, Owner: hostile,
				Action:     &Action{Message: hostile, Channel: hostile, Offer: hostile},
				Definition: []Line{{Label: "rule 1 of 1", Code: `note == "` + hostile + `" || x < 3`}},
				Trend:      []*int64{&v},
			}},
		}},
	}
}

// Every piece of the spec's text is escaped: a description holding a <script> shows as text in both
// formats and runs nowhere.
func TestRenderersEscapeTheSpecsText(t *testing.T) {
	d := hostileDocument()
	var page, frag, md bytes.Buffer
	if err := HTML(&page, d); err != nil {
		t.Fatal(err)
	}
	if err := HTMLFragment(&frag, d); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, d); err != nil {
		t.Fatal(err)
	}
	// In Markdown, a code span shows its text literally (a renderer escapes it), so rules stay as written
	// there; everything outside code spans must be escaped.
	outsideCode := regexp.MustCompile("`[^`]*`").ReplaceAllString(md.String(), "")
	for name, out := range map[string]string{"page": page.String(), "fragment": frag.String(), "markdown": outsideCode} {
		if strings.Contains(out, "<script") || strings.Contains(out, "<b>") {
			t.Errorf("%s: the spec's text is not escaped:\n%s", name, out)
		}
		if !strings.Contains(out, "&lt;script&gt;") {
			t.Errorf("%s: the spec's text is missing (want it escaped as &lt;script&gt;)", name)
		}
	}
	if !strings.Contains(md.String(), "`note == \""+hostile+"\" || x < 3`") {
		t.Errorf("markdown: a rule is code, shown as written:\n%s", md.String())
	}
}

// The page is self-contained: no script, no stylesheet, font or image fetched from anywhere; the fragment
// is the page's body.
func TestHTMLPageIsSelfContained(t *testing.T) {
	var page, frag bytes.Buffer
	d := hostileDocument()
	if err := HTML(&page, d); err != nil {
		t.Fatal(err)
	}
	if err := HTMLFragment(&frag, d); err != nil {
		t.Fatal(err)
	}
	out := page.String()
	for _, ref := range []string{"<script", "<link", "src=", "url(", "@import", "http:", "https:"} {
		if strings.Contains(out, ref) {
			t.Errorf("the page refers to %q: it must open offline", ref)
		}
	}
	if !strings.Contains(out, frag.String()) || strings.Contains(frag.String(), "<html") || !strings.Contains(out, "@media print") {
		t.Errorf("the page should be the fragment with its style (and print style) around it")
	}
}

const historySpec = `version: 1
name: shop
entity: customer_id
vars:
  big: 400
sources:
  orders:
    path: orders.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      amount: {type: DOUBLE}
features:
  spend:
    sql: select customer_id, sum(amount) as monetary from orders group by customer_id
segmentations:
  tiers:
    from: spend
    rules:
      - {segment: big, when: "monetary >= vars.big", description: Big spenders.}
    else: small
    profile: [monetary]
  other:
    from: spend
    rules:
      - {segment: any, when: "monetary > 0"}
`

const historyOrders = "customer_id,amount\n1,500\n2,50\n3,450\n"

// The history lists the versions where a definition changed, by its definition hash: a rule edited is a
// change, a description edited is not, and another segmentation's edit is not. Versions stored before
// the definition hash are compared by their runs' spec hash, and the document says so.
func TestDefinitionHistory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	specFile := filepath.Join(dir, "shop.yaml")
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("orders.csv", historyOrders)
	edits := []struct{ old, new string }{
		{"", ""}, // version 1 as written
		{`monetary >= vars.big"`, `monetary > vars.big"`}, // version 2: tiers' rule changes
		{"Big spenders.", "The biggest spenders."},        // version 3: a description only
		{`"monetary > 0"`, `"monetary >= 0"`},             // version 4: the other segmentation's rule
	}
	text := historySpec
	for i, e := range edits {
		text = strings.Replace(text, e.old, e.new, 1)
		write("shop.yaml", text)
		asOf := time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC)
		if _, err := runner.Run(ctx, specFile, runner.RunOptions{AsOf: asOf, Version: "test"}); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	doc := buildFrom(t, specFile, filepath.Join(dir, "segrun.duckdb"))
	tiers := doc.Segmentations[0]
	if got := historyRuns(tiers.History); got != "1 2" || tiers.HistoryNote != "" {
		t.Errorf("tiers' history: versions %q (note %q), want 1 (first) and 2 (its rule changed)", got, tiers.HistoryNote)
	}
	if got := historyRuns(doc.Segmentations[1].History); got != "1 4" {
		t.Errorf("other's history: versions %q, want 1 and 4", got)
	}
	if tiers.Pending != "" {
		t.Errorf("the spec is the latest version's, yet: %s", tiers.Pending)
	}
	if d := tiers.Segments[0].Definition; len(d) < 2 || d[1].Code != "monetary > 400" {
		t.Errorf("tiers/big's definition %v: want the rule with vars.big resolved to 400", d)
	}

	// big's members spend 500 and 450; everyone 500, 50 and 450.
	if tr := tiers.Segments[0].Traits; len(tr) != 1 || tr[0].Column != "monetary" || tr[0].Text != "mean 475.0, 1.43x everyone's" {
		t.Errorf("tiers/big's profile %v, want monetary's mean 475 and lift 475/333.3", tr)
	}

	// A spec edited since the latest version: the next run changes the definition.
	write("shop.yaml", strings.Replace(text, "big: 400", "big: 450", 1))
	if doc := buildFrom(t, specFile, filepath.Join(dir, "segrun.duckdb")); doc.Segmentations[0].Pending == "" || doc.Segmentations[1].Pending != "" {
		t.Errorf("a var tiers reads changed: want tiers (only) pending, got %q and %q", doc.Segmentations[0].Pending, doc.Segmentations[1].Pending)
	}
	write("shop.yaml", text)

	// Versions 1-3 as a segrun without definition hashes stored them: between them, the spec hash
	// decides (version 3, a description, then counts as a change), and the document says so.
	db, err := sql.Open(ctx, filepath.Join(dir, "segrun.duckdb"), sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, `UPDATE segmentation_versions SET summary = json_merge_patch(summary, '{"definition_hash": null}') WHERE run_id <= 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	tiers = buildFrom(t, specFile, filepath.Join(dir, "segrun.duckdb")).Segmentations[0]
	if got := historyRuns(tiers.History); got != "1 2 3 4" || tiers.HistoryNote == "" || tiers.History[0].Basis != "spec hash" {
		t.Errorf("history without definition hashes: versions %q, basis %q, note %q; want 1 2 3 4 by spec hash, with a note", got, tiers.History[0].Basis, tiers.HistoryNote)
	}
}

func historyRuns(h []DefinitionChange) string {
	var out []string
	for _, c := range h {
		out = append(out, strconv.FormatInt(c.Run, 10))
	}
	return strings.Join(out, " ")
}

// buildFrom validates specFile and builds its document with the store at storePath.
func buildFrom(t *testing.T, specFile, storePath string) *Document {
	t.Helper()
	ctx := context.Background()
	v, err := runner.Validate(ctx, specFile, runner.ValidateOptions{})
	if err != nil || !v.Valid() {
		t.Fatalf("validate: %v %v", err, v.Diagnostics)
	}
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := store.Attach(ctx, db, storePath, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Build(ctx, Source{Validation: v, Store: st, StorePath: storePath})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// An audience is no segmentation with a definition the document can give: the document from a spec leaves
// audiences out, while the one from the store alone listed them, each with "Definition: none in the spec
// or the store" and a note that its versions were "written before segrun kept" a definition hash, in a
// store written by this very segrun. Both documents list the same segmentations.
func TestStoreDocumentLeavesAudiencesOut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	specFile := filepath.Join(dir, "shop.yaml")
	if err := os.WriteFile(filepath.Join(dir, "orders.csv"), []byte(historyOrders), 0o644); err != nil {
		t.Fatal(err)
	}
	text := historySpec + `audiences:
  big_ones:
    include: {tiers: [big]}
`
	if err := os.WriteFile(specFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Run(ctx, specFile, runner.RunOptions{AsOf: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Version: "test"}); err != nil {
		t.Fatal(err)
	}
	storePath := filepath.Join(dir, "segrun.duckdb")
	names := func(d *Document) string {
		var out []string
		for _, s := range d.Segmentations {
			out = append(out, s.Name)
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	fromSpec := names(buildFrom(t, specFile, storePath))
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := store.Attach(ctx, db, storePath, store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Build(ctx, Source{Store: st, StorePath: storePath})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(doc); got != fromSpec {
		t.Errorf("from the store alone: %q; from the spec: %q", got, fromSpec)
	}
}

// A clv segmentation's tiers have a definition, in the spec (tiers:) and in the store (each tier's CLV
// start): the document said "Definition: none in the spec or the store" for every one of them.
func TestCLVTiersAreDefined(t *testing.T) {
	q0, q8 := 0.0, 0.8
	rep := &runner.SegmentationReport{CLV: &methods.CLVReport{Unit: "week", Horizon: 52,
		Tiers: []methods.CLVTier{{Segment: "low", Quantile: &q0, From: 0.25}, {Segment: "high", Quantile: &q8, From: 313.5}}}}
	out := &Segmentation{Name: "value_clv", Method: "clv"}
	byName := map[string]*Segment{"low": {Name: "low"}, "high": {Name: "high"}}
	define(out, nil, rep, byName, nil)

	if d := byName["high"].Definition; len(d) == 0 || !strings.Contains(d[0].Label+d[0].Code, "313.5") {
		t.Errorf("high's definition %v: want its CLV start, 313.5", d)
	}
	if d := byName["low"].Definition; len(d) == 0 || !strings.Contains(d[0].Label+d[0].Code, "313.5") {
		t.Errorf("low's definition %v: want it bounded by high's start, 313.5", d)
	}
	if strings.Contains(out.Basis, "its block in the spec defines it") {
		t.Errorf("basis %q: want how tiers are assigned", out.Basis)
	}
	// The else: segment holds the customers below the first tier.
	rest := map[string]*Segment{"none": {Name: "none"}}
	clvDefinitions(&Segmentation{}, rep.CLV, "none", rest)
	if d := rest["none"].Definition; len(d) == 0 || d[0].Code != "clv < 0.25" {
		t.Errorf("the else segment's definition %v: want clv < 0.25", d)
	}
}

// Tier starts in the millions read as numbers, not 1e+06 (a review finding): the label with thousands
// separators, the code in plain decimal that a rule reads back.
func TestCLVTierStartsHaveNoExponent(t *testing.T) {
	rep := &runner.SegmentationReport{CLV: &methods.CLVReport{Unit: "week", Horizon: 52,
		Tiers: []methods.CLVTier{{Segment: "low", From: 0}, {Segment: "mid", From: 1e6}, {Segment: "high", From: 2.5e7}}}}
	byName := map[string]*Segment{"low": {Name: "low"}, "mid": {Name: "mid"}, "high": {Name: "high"}, "none": {Name: "none"}}
	clvDefinitions(&Segmentation{}, rep.CLV, "none", byName)
	mid := byName["mid"].Definition
	if len(mid) == 0 || mid[0].Label != "predicted CLV from 1,000,000 to below 25,000,000, the start of high" || mid[0].Code != "clv >= 1000000 && clv < 25000000" {
		t.Errorf("mid's definition %+v", mid)
	}
	for _, sg := range byName {
		for _, l := range sg.Definition {
			if strings.Contains(l.Label+l.Code, "e+") {
				t.Errorf("%s: %+v has an exponent", sg.Name, l)
			}
		}
	}
}
