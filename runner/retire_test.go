package runner

import (
	"fmt"
	"strings"
	"testing"
)

// tagsSegmentation is the fixture spec's multi-valued segmentation, which the tests below remove.
const tagsSegmentation = `  tags:
    from: rfm
    multi: true
    rules:
      - {segment: recent, when: "recency_days <= 30"}
      - {segment: spender, when: "monetary > 55"}
`

// A segmentation removed from the spec is retired by the next version: its members exit (the change log
// says so in that version) instead of staying current forever; a rollback of that version brings them back.
func TestRemovedSegmentationIsRetired(t *testing.T) {
	f := newFixture(t, fixtureSpec, fixtureOrders)
	f.mustRun("2024-03-01", nil)
	before := f.query(`SELECT count(*) FROM segrun_store.current_memberships WHERE segmentation = 'tags'`)
	if before[0] == "0" {
		t.Fatal("the fixture's tags has no members")
	}
	if !strings.Contains(fixtureSpec, tagsSegmentation) {
		t.Fatal("the fixture spec changed")
	}
	f.write("shop.yaml", strings.Replace(fixtureSpec, tagsSegmentation, "", 1))
	// A dry run says what the real run will retire, and retires nothing.
	dry := f.mustRun("2024-04-01", func(o *RunOptions) { o.DryRun = true })
	members := f.query(`SELECT count(DISTINCT entity) FROM segrun_store.current_memberships WHERE segmentation = 'tags'`)
	if len(dry.Retired) != 1 || dry.Retired[0].Segmentation != "tags" || fmt.Sprint(dry.Retired[0].Members) != members[0] {
		t.Errorf("dry run retired: %+v, want tags with %s members", dry.Retired, members[0])
	}
	expectRows(t, "tags members after the dry run", f.query(`SELECT count(*) FROM segrun_store.current_memberships WHERE segmentation = 'tags'`), before...)
	res := f.mustRun("2024-04-01", nil)
	if len(res.Retired) != 1 || res.Retired[0].Segmentation != "tags" || res.Retired[0].Members == 0 {
		t.Fatalf("retired: %+v", res.Retired)
	}
	expectRows(t, "current tags members", f.query(`SELECT count(*) FROM segrun_store.current_memberships WHERE segmentation = 'tags'`), "0")
	expectRows(t, "tags exits in version 2", f.query(`SELECT count(*) FROM segrun_store.changes
		WHERE run_id = 2 AND segmentation = 'tags' AND event = 'exited'`), before...)
	expectRows(t, "lifecycle still current", f.query(`SELECT count(*) > 0 FROM segrun_store.current_memberships WHERE segmentation = 'lifecycle'`), "true")
	// The next version has nothing more to retire.
	if res := f.mustRun("2024-05-01", nil); len(res.Retired) != 0 {
		t.Errorf("version 3 retired %+v again", res.Retired)
	}
}

// A spec with features and tests but no segmentation runs them and publishes a version without
// segmentations (it used to fail at publishing with a DuckDB parser error); against a store that had
// segmentations, that version retires them all.
func TestSpecWithoutSegmentationsPublishes(t *testing.T) {
	noSegs := fixtureSpec[:strings.Index(fixtureSpec, "segmentations:")]
	f := newFixture(t, noSegs, fixtureOrders)
	res := f.mustRun("2024-03-01", nil)
	if res.Outcome != OutcomePublished || res.RunID != 1 || len(res.Segmentations) != 0 {
		t.Fatalf("%s version %d, %d segmentations", res.Outcome, res.RunID, len(res.Segmentations))
	}
	expectRows(t, "runs", f.query(`SELECT run_id, status FROM segrun_store.runs`), `1 "published"`)

	g := newFixture(t, fixtureSpec, fixtureOrders)
	g.mustRun("2024-03-01", nil)
	g.write("shop.yaml", noSegs)
	res = g.mustRun("2024-04-01", nil)
	if len(res.Retired) != 2 {
		t.Errorf("retired %+v, want lifecycle and tags", res.Retired)
	}
	expectRows(t, "current memberships", g.query(`SELECT count(*) FROM segrun_store.current_memberships`), "0")
	// And the segmentations can come back.
	g.write("shop.yaml", fixtureSpec)
	g.mustRun("2024-05-01", nil)
	expectRows(t, "current segmentations", g.query(`SELECT DISTINCT segmentation FROM segrun_store.current_memberships ORDER BY 1`), `"lifecycle"`, `"tags"`)
}
