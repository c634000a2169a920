package runner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
)

// holdoutGolden is runner/testdata/audiences/holdout.json, written by scripts/holdout_reference.py.
type holdoutGolden struct {
	Shares []float64 `json:"shares"`
	Int    []holdoutCase
	Text   []holdoutCase
}

type holdoutCase struct {
	Salt    string  `json:"salt"`
	Entity  string  `json:"entity"`
	Uniform float64 `json:"uniform"`
	Control []bool  `json:"control"`
}

// The holdout's hash, as DuckDB computes it in a run, is the documented one: Python's hashlib gives every
// entity (integers, text, unicode salts) the very same uniform and group, so another system can reproduce
// the assignment.
func TestHoldoutMatchesPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/audiences/holdout.json")
	if err != nil {
		t.Fatal(err)
	}
	var g holdoutGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, kind := range []struct {
		typ   string
		cases []holdoutCase
	}{{"BIGINT", g.Int}, {"VARCHAR", g.Text}} {
		if len(kind.cases) == 0 {
			t.Fatalf("no %s cases in the golden", kind.typ)
		}
		for _, c := range kind.cases {
			lit := sql.Literal(c.Entity) + "::" + kind.typ
			var u float64
			if err := db.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM (SELECT %s AS customer_id)", holdoutUniformSQL(c.Salt, "customer_id"), lit)).Scan(&u); err != nil {
				t.Fatal(err)
			}
			if u != c.Uniform {
				t.Errorf("salt %q, %s entity %q: uniform %v, Python says %v", c.Salt, kind.typ, c.Entity, u, c.Uniform)
			}
			if got := holdoutUniform(c.Salt, c.Entity); got != c.Uniform {
				t.Errorf("salt %q, entity %q: the tests' Go hash gives %v, Python %v", c.Salt, c.Entity, got, c.Uniform)
			}
			for i, share := range g.Shares {
				if (u < share) != c.Control[i] {
					t.Errorf("salt %q, entity %q, share %v: control %v, Python says %v", c.Salt, c.Entity, share, u < share, c.Control[i])
				}
			}
		}
	}
}

// holdoutUniform is the documented hash written out in Go, for the tests to predict groups with.
func holdoutUniform(salt, entity string) float64 {
	h := sha256.Sum256([]byte(salt + "\x00" + entity))
	return float64(binary.BigEndian.Uint64(h[:8])) / math.Exp2(64)
}

// audienceSpec has two audiences sharing a salt (a global control group), one with a salt of its own, a
// priority list, consent, where: and exclude:.
const audienceSpec = `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      tier: {type: VARCHAR}
      spend: {type: DOUBLE}
      opt_in: {type: BOOLEAN}
      active: {type: BOOLEAN}
      pick: {type: BOOLEAN}
segmentations:
  tiers:
    from: customers
    rules:
      - {segment: gold, when: 'tier == "gold"'}
      - {segment: silver, when: 'tier == "silver"'}
    else: bronze
  activity:
    from: customers
    rules:
      - {segment: active, when: active}
    else: inactive
audiences:
  gold_offer:
    include: {tiers: [gold]}
    exclude: {activity: [inactive]}
    consent: {from: customers, column: opt_in}
    holdout: {share: 0.25, salt: global}
  silver_offer:
    include: {tiers: [gold, silver]}
    where: spend >= 100
    exclude: {activity: [inactive]}
    consent: {from: customers, column: opt_in}
    holdout: {share: 0.25, salt: global}
  everyone:
    include: {tiers: [gold, silver, bronze]}
    holdout: {share: 0.5, salt: own}
  picked:
    include: {tiers: [gold, silver, bronze]}
    where: pick
    holdout: {share: 0.5, salt: global}
priority_lists:
  offers: [gold_offer, silver_offer]
`

// audienceCustomers is n customers' CSV: inactive are those for which inactive(i) holds; pick is true for
// the entities whose uniform under salt "global" is below 0.5, a filter correlated with the assignment,
// which the sample-ratio-mismatch test must catch.
func audienceCustomers(n int, inactive func(i int) bool) string {
	var b strings.Builder
	b.WriteString("customer_id,tier,spend,opt_in,active,pick\n")
	for i := 1; i <= n; i++ {
		tier := []string{"gold", "silver", "bronze", "bronze"}[i%4]
		optIn := []string{"true", "true", "false", ""}[i%7%4]
		fmt.Fprintf(&b, "%d,%s,%d,%s,%v,%v\n", i, tier, (i*37)%250, optIn, !inactive(i), holdoutUniform("global", strconv.Itoa(i)) < 0.5)
	}
	return b.String()
}

// Audiences end to end: members are exactly those the conditions admit, a priority list leaves each entity
// in its first audience and counts what each lost, groups follow the documented hash (the same salt gives
// the same control group across audiences), a customer who leaves and re-enters keeps their group, and a
// filter correlated with the assignment is flagged as a sample ratio mismatch.
func TestAudiences(t *testing.T) {
	const n = 4000
	f := newFixture(t, audienceSpec, "")
	f.write("data/customers.csv", audienceCustomers(n, func(int) bool { return false }))
	res := f.mustRun("2024-01-31", nil)
	reports := map[string]SegmentationReport{}
	for _, r := range res.Segmentations {
		reports[r.Name] = r
	}
	// The members, as the conditions say, checked in Go against the data as generated.
	type row struct {
		tier       string
		spend      int
		consent    bool
		u, uGlobal float64
	}
	rows := map[int]row{}
	for i := 1; i <= n; i++ {
		rows[i] = row{tier: []string{"gold", "silver", "bronze", "bronze"}[i%4], spend: (i * 37) % 250, consent: i%7%4 < 2,
			u: holdoutUniform("own", strconv.Itoa(i)), uGlobal: holdoutUniform("global", strconv.Itoa(i))}
	}
	want := map[string]map[int]string{"gold_offer": {}, "silver_offer": {}, "everyone": {}}
	group := func(u, share float64) string {
		if u < share {
			return GroupControl
		}
		return GroupTreatment
	}
	lost := 0
	for i, r := range rows {
		want["everyone"][i] = group(r.u, 0.5)
		if !r.consent {
			continue
		}
		if r.tier == "gold" {
			want["gold_offer"][i] = group(r.uGlobal, 0.25)
		}
		if (r.tier == "gold" || r.tier == "silver") && r.spend >= 100 {
			if r.tier == "gold" {
				lost++ // gold_offer, higher in the list, has them
				continue
			}
			want["silver_offer"][i] = group(r.uGlobal, 0.25)
		}
	}
	for name, members := range want {
		got := f.query(fmt.Sprintf(`SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = '%s' ORDER BY entity::BIGINT`, name))
		if len(got) != len(members) {
			t.Errorf("%s has %d members, want %d", name, len(got), len(members))
		}
		for _, line := range got {
			var id int
			var seg string
			fmt.Sscanf(line, "%d %q", &id, &seg)
			if members[id] != seg {
				t.Errorf("%s: customer %d is %q, want %q", name, id, seg, members[id])
				break
			}
		}
	}
	silver := reports["silver_offer"].Audience
	if silver == nil || silver.LostToHigher != int64(lost) || len(silver.LostTo) != 1 || silver.LostTo[0].Audience != "gold_offer" || silver.Qualified-silver.LostToHigher != silver.Members {
		t.Errorf("silver_offer's priority report: %+v, want %d lost to gold_offer", silver, lost)
	}
	expectRows(t, "an entity in at most one audience of the list", f.query(`SELECT count(*) FROM (SELECT entity FROM segrun_store.current_memberships
		WHERE segmentation IN ('gold_offer', 'silver_offer') GROUP BY entity HAVING count(*) > 1)`), "0")
	expectRows(t, "audience versions are told apart by method", f.query(`SELECT DISTINCT method FROM segrun_store.segmentation_versions
		WHERE segmentation IN ('gold_offer', 'silver_offer', 'everyone', 'picked')`), strconv.Quote(AudienceMethod))
	for _, name := range []string{"gold_offer", "silver_offer", "everyone"} {
		if h := reports[name].Audience.Holdout; h == nil || h.Mismatch {
			t.Errorf("%s: holdout %+v, want no mismatch", name, h)
		}
	}
	if h := reports["picked"].Audience.Holdout; h == nil || !h.Mismatch || h.Realised != 1 {
		t.Errorf("picked (all in the control group by construction): holdout %+v, want a mismatch", h)
	} else if !strings.Contains(strings.Join(res.Warnings, "\n"), "audience picked: sample ratio mismatch") {
		t.Errorf("no sample ratio mismatch warning: %q", res.Warnings)
	}

	// Version 2: a third of the customers go inactive and leave the offers; version 3: they are back, in
	// the groups they had.
	v1 := f.query(`SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'gold_offer' ORDER BY entity`)
	f.write("data/customers.csv", audienceCustomers(n, func(i int) bool { return i%3 == 0 }))
	f.mustRun("2024-02-29", nil)
	expectRows(t, "inactive customers left gold_offer", f.query(`SELECT count(*) FROM segrun_store.current_memberships
		WHERE segmentation = 'gold_offer' AND entity::BIGINT % 3 = 0`), "0")
	f.write("data/customers.csv", audienceCustomers(n, func(int) bool { return false }))
	f.mustRun("2024-03-31", nil)
	expectRows(t, "gold_offer after leaving and re-entering",
		f.query(`SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'gold_offer' ORDER BY entity`), v1...)
	expectRows(t, "nobody changed group in the change log", f.query(`SELECT count(*) FROM segrun_store.transitions
		WHERE segmentation IN ('gold_offer', 'silver_offer', 'everyone') AND from_segment IS NOT NULL AND to_segment IS NOT NULL AND from_segment <> to_segment`), "0")
}
