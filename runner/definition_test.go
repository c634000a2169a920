package runner

import (
	"context"
	"strings"
	"testing"
)

// definitionHashesOf validates specText (the fixture's data) and returns its segmentations' definition
// hashes.
func definitionHashesOf(t *testing.T, specText string) map[string]string {
	t.Helper()
	f := newFixture(t, specText, fixtureOrders)
	v, err := Validate(context.Background(), f.spec, ValidateOptions{AsOf: date("2024-03-01")})
	if err != nil || !v.Valid() {
		t.Fatalf("validate: %v %v", err, v.Diagnostics)
	}
	return v.Plan.DefinitionHashes
}

// A definition hash changes with what decides a segmentation's memberships (its rules, the SQL it reads,
// the vars they read) and with nothing else: metadata, comments, an unrelated step.
func TestDefinitionHashFollowsWhatDecidesMemberships(t *testing.T) {
	base := definitionHashesOf(t, fixtureSpec)
	if len(base) != 2 || base["lifecycle"] == "" || base["tags"] == "" || base["lifecycle"] == base["tags"] {
		t.Fatalf("definition hashes %v: want one per segmentation, different", base)
	}
	edit := func(old, new string) string {
		t.Helper()
		if !strings.Contains(fixtureSpec, old) {
			t.Fatalf("fixture has no %q", old)
		}
		return strings.Replace(fixtureSpec, old, new, 1)
	}
	for _, c := range []struct {
		what, spec      string
		lifecycle, tags bool // whether each hash changes
	}{
		{"metadata", edit("    else: regulars\n", `    else: regulars
    description: Where customers stand.
    owner: crm
    profile: [monetary]
    min_size: {share: 0.01, severity: warn}
    segments:
      champions: {description: Often and recently., action: {message: Thanks, channel: email}}
`), false, false},
		{"a rule's description and a comment", edit(`{segment: big, when: "monetary >= 400"}`, `{segment: big, when: "monetary >= 400", description: Big.} # spenders`), false, false},
		{"a rule", edit(`monetary >= 400`, `monetary >= 401`), true, false},
		{"a rule's segment", edit(`segment: lapsed`, `segment: gone`), true, false},
		{"the feature's SQL", edit(`count(*) as frequency`, `count(distinct order_id) as frequency`), true, true},
		{"a var the rules read", edit(`champion_orders: 3`, `champion_orders: 4`), true, false},
		{"the multi flag", edit(`multi: true`, `multi: false`), false, true},
	} {
		got := definitionHashesOf(t, c.spec)
		for _, seg := range []struct {
			name    string
			changes bool
		}{{"lifecycle", c.lifecycle}, {"tags", c.tags}} {
			if changed := got[seg.name] != base[seg.name]; changed != seg.changes {
				t.Errorf("%s: %s's definition hash changed %v, want %v", c.what, seg.name, changed, seg.changes)
			}
		}
	}
}

// Each version stores its segmentation's definition hash in its summary.
func TestVersionsStoreTheirDefinitionHash(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	res := f.mustRun("2024-03-01", nil)
	want := res.Validation.Plan.DefinitionHashes["lifecycle"]
	expectRows(t, "stored definition hash", f.query(`SELECT summary->>'definition_hash' FROM segmentation_versions WHERE segmentation = 'lifecycle'`), `"`+want+`"`)
}
