package runner

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
			if err := db.QueryRow(ctx, fmt.Sprintf("SELECT %s FROM (SELECT %s AS customer_id)", holdoutUniformSQL(c.Salt, "customer_id", false), lit)).Scan(&u); err != nil {
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

// Personal values are hashed as Python's hashlib hashes their documented normalisation
// (scripts/pii_hash_reference.py): each kind, whitespace, case, unicode, phone prefixes, values already
// hashed, NULL and values empty once normalised.
func TestPIIHashMatchesPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/audiences/pii.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Kind  string  `json:"kind"`
		Value *string `json:"value"`
		Hash  *string `json:"hash"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range cases {
		kinds[c.Kind] = true
		lit := "NULL::VARCHAR"
		if c.Value != nil {
			lit = sql.Literal(*c.Value)
		}
		var got *string
		if err := db.QueryRow(ctx, "SELECT "+piiHashSQL(lit, c.Kind, false)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.Hash == nil) || got != nil && *got != *c.Hash {
			t.Errorf("%s %q: %v, Python says %v", c.Kind, deref(c.Value), deref(got), deref(c.Hash))
		}
	}
	for _, k := range PIIKinds {
		if !kinds[k] {
			t.Errorf("the golden has no %s case", k)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<NULL>"
	}
	return *s
}

// A column contract's pii: follows a column through the features that pass it on (a plain reference,
// renamed or not, or an output named like a personal input column), and stops at an expression under a
// new name.
func TestPersonalColumnsFollowFeatures(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      email: {type: VARCHAR, pii: email}
      phone: {type: VARCHAR, pii: phone}
      city: {type: VARCHAR}
features:
  contacts:
    sql: select c.customer_id, c.email, phone as mobile, lower(email) as email_lower, upper(city) as city from customers c
  again:
    sql: select *, length(mobile) as digits from contacts
  wrapped:
    sql: with t as (select email as e from contacts) select e as email, e as other from t
segmentations:
  everyone:
    from: again
    rules: [{segment: everyone, when: "true"}]
`, "")
	f.write("data/customers.csv", "customer_id,email,phone,city\n1,a@b.c,+1 555,Paris\n")
	v, err := Validate(context.Background(), f.spec, ValidateOptions{})
	if err != nil || !v.Valid() {
		t.Fatalf("%v %v", err, v.Diagnostics)
	}
	want := map[string]map[string]string{
		"customers": {"email": "email", "phone": "phone"},
		"contacts":  {"email": "email", "mobile": "phone"},
		"again":     {"email": "email", "mobile": "phone"},
		"wrapped":   {"email": "email"},
	}
	for table, cols := range want {
		if got := v.PII[table]; !reflect.DeepEqual(got, cols) {
			t.Errorf("%s: personal columns %v, want %v", table, got, cols)
		}
	}
	if v.EntityPII != "" {
		t.Errorf("entity personal as %q; it is not declared so", v.EntityPII)
	}
}

// An export of a segmentation whose entity is personal writes the entity hashed, and as it is with
// pii: clear.
func TestExportsHashAPersonalEntity(t *testing.T) {
	spec := `version: 1
name: shop
entity: email
sources:
  customers:
    path: data/customers.csv
    columns:
      email: {type: VARCHAR, pii: email}
      spend: {type: DOUBLE}
segmentations:
  big:
    from: customers
    rules: [{segment: big, when: "spend > 10"}]
    else: small
exports:
  - {segmentation: big, path: out/hashed.csv}
  - {segmentation: big, path: out/clear.csv, pii: clear}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", "email,spend\n Ann@Example.com,20\nbob@example.com,5\n")
	f.mustRun("2024-01-31", nil)
	ann := holdoutHex("ann@example.com")
	bob := holdoutHex("bob@example.com")
	if got, want := f.read("out/hashed.csv"), "email,segment\n"+strings.Join(sortedLines(ann+",big", bob+",small"), "\n")+"\n"; got != want {
		t.Errorf("hashed export:\n%s\nwant\n%s", got, want)
	}
	if got := f.read("out/clear.csv"); !strings.Contains(got, " Ann@Example.com,big") {
		t.Errorf("clear export:\n%s", got)
	}
}

func holdoutHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", h)
}

func sortedLines(lines ...string) []string {
	slices.Sort(lines)
	return lines
}

// Destinations write hashed personal columns (clear only when they say so), and nothing of an entity
// without consent: a customer who withdraws consent exits the audience, and the change file's exit row
// carries their entity and group but not their email.
func TestDestinationsKeepConsentAndHash(t *testing.T) {
	spec := `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
      email: {type: VARCHAR, pii: email}
      opt_in: {type: BOOLEAN}
segmentations:
  everyone:
    from: customers
    rules: [{segment: all_of_them, when: "true"}]
audiences:
  mailing:
    include: {everyone: [all_of_them]}
    consent: {from: customers, column: opt_in}
    destinations: [full_file, changes_file, clear_file]
destinations:
  full_file: {path: out/full.csv, columns: [customer_id, email, group]}
  changes_file: {path: out/changes.csv, columns: [email, group], mode: changes}
  clear_file: {path: out/clear.csv, columns: [customer_id, email], pii: clear}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", "customer_id,email,opt_in\n1,Ann@x.com,true\n2,bob@x.com,false\n3,cy@x.com,\n4,dee@x.com,true\n")
	res := f.mustRun("2024-01-31", nil)
	if len(res.Deliveries) != 3 || !res.Deliveries[0].Written || res.Deliveries[0].Rows != 2 {
		t.Errorf("deliveries: %+v", res.Deliveries)
	}
	h := holdoutHex
	expectFile := func(name, want string) {
		t.Helper()
		if got := f.read(name); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, got, want)
		}
	}
	expectFile("out/full.csv", "customer_id,email,group\n1,"+h("ann@x.com")+",treatment\n4,"+h("dee@x.com")+",treatment\n")
	expectFile("out/clear.csv", "customer_id,email\n1,Ann@x.com\n4,dee@x.com\n")
	// Ann withdraws consent.
	f.write("data/customers.csv", "customer_id,email,opt_in\n1,Ann@x.com,false\n2,bob@x.com,false\n3,cy@x.com,\n4,dee@x.com,true\n")
	f.mustRun("2024-02-29", nil)
	expectFile("out/full.csv", "customer_id,email,group\n4,"+h("dee@x.com")+",treatment\n")
	expectFile("out/changes.csv", "email,group,event\n,treatment,exited\n")
	for _, name := range []string{"out/full.csv", "out/changes.csv", "out/clear.csv"} {
		for _, other := range []string{"bob", "cy@", h("bob@x.com"), h("cy@x.com")} {
			if strings.Contains(f.read(name), other) {
				t.Errorf("%s holds %s, who never consented", name, other)
			}
		}
	}
	expectRows(t, "deliveries recorded", f.query(`SELECT run_id, segmentation, changes, regexp_extract(path, '[a-z]+\.csv') FROM segrun_store.exports ORDER BY ALL`),
		`1 "mailing" false "clear.csv"`, `1 "mailing" false "full.csv"`, `1 "mailing" true "changes.csv"`,
		`2 "mailing" false "clear.csv"`, `2 "mailing" false "full.csv"`, `2 "mailing" true "changes.csv"`)
}

// A destination reads its columns from the audience's from (by default its first included segmentation's
// input) even when the audience has no where: that table must still be there when the audience stages its
// files. It was released after the segmentation read it, and the run failed with DuckDB's "Table with name
// spend does not exist!" (exit 3), nothing published.
func TestDestinationReadsFromWithoutWhere(t *testing.T) {
	spec := `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
    columns:
      customer_id: {type: BIGINT}
      amount: {type: DOUBLE}
features:
  spend:
    sql: select customer_id, sum(amount) as total from orders group by customer_id
segmentations:
  value:
    from: spend
    rules: [{segment: big, when: "total >= 10"}]
    else: small
audiences:
  big_spenders:
    include: {value: [big]}
    destinations: [big_file]
destinations:
  big_file: {path: out/big.csv, columns: [customer_id, total]}
`
	f := newFixture(t, spec, "")
	f.write("data/orders.csv", "customer_id,amount\n1,5\n1,7\n2,3\n3,20\n")
	f.mustRun("2024-01-31", nil)
	if got, want := f.read("out/big.csv"), "customer_id,total\n1,12.0\n3,20.0\n"; got != want {
		t.Errorf("out/big.csv:\n%s\nwant\n%s", got, want)
	}
}

// A destination's columns come from a table with one row per entity: from a table of purchases (a clv
// segmentation's input, the default from of an audience on its tiers) the file held one purchase's amount,
// whichever came first, as if it were the customer's. The run fails as where: over such a table does.
func TestDestinationRefusesRowsPerPurchase(t *testing.T) {
	spec := `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
    columns:
      customer_id: {type: BIGINT}
      amount: {type: DOUBLE}
features:
  spend:
    sql: select customer_id, sum(amount) as total from orders group by customer_id
segmentations:
  value:
    from: spend
    rules: [{segment: big, when: "total >= 10"}]
    else: small
audiences:
  big_spenders:
    include: {value: [big]}
    from: orders
    destinations: [big_file]
destinations:
  big_file: {path: out/big.csv, columns: [customer_id, amount]}
`
	f := newFixture(t, spec, "")
	f.write("data/orders.csv", "customer_id,amount\n1,5\n1,7\n2,3\n3,20\n")
	f.failsWith("2024-01-31", "audience big_spenders", "appears more than once in orders")
}

// A destination that failed (exit 4) cannot be delivered by a rerun that publishes nothing: the file is made
// from the run's workspace. The rerun with the same run key said "nothing to do" and exited 0 while the
// file was still missing; it must say the destination is not delivered, and how (--force), and exit 4.
func TestRunKeyRerunSaysADestinationIsUndelivered(t *testing.T) {
	spec := `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: data/customers.csv
    columns:
      customer_id: {type: BIGINT}
segmentations:
  everyone:
    from: customers
    rules: [{segment: all_of_them, when: "true"}]
audiences:
  mailing:
    include: {everyone: [all_of_them]}
    destinations: [full_file]
destinations:
  full_file: {path: out/full.csv}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", "customer_id\n1\n2\n")
	if err := os.MkdirAll(filepath.Join(f.dir, "out/full.csv"), 0o755); err != nil { // a directory where the file goes
		t.Fatal(err)
	}
	key := func(force bool) func(*RunOptions) {
		return func(o *RunOptions) { o.RunKey, o.Force = "k1", force }
	}
	var ee *ExportsError
	if _, err := f.run("2024-01-31", key(false)); !errors.As(err, &ee) {
		t.Fatalf("first run: %v, want the exports error (exit 4)", err)
	}
	if err := os.Remove(filepath.Join(f.dir, "out/full.csv")); err != nil {
		t.Fatal(err)
	}
	_, err := f.run("2024-01-31", key(false))
	if !errors.As(err, &ee) || len(ee.Failed) != 1 || ee.Failed[0].Destination != "full_file" || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("rerun with the run key: %v, want destination full_file not delivered, with --force to deliver it", err)
	}
	f.mustRun("2024-01-31", key(true))
	if got := f.read("out/full.csv"); got != "customer_id,group\n1,treatment\n2,treatment\n" {
		t.Errorf("out/full.csv after --force:\n%s", got)
	}
}

// An audience without consent: may not leave with personal columns in clear: validation refused it for a
// destination, but the same audience in the spec's exports: with pii: clear wrote every member's email in
// clear (exit 0). Both are refused.
func TestClearExportOfAnAudienceWithoutConsent(t *testing.T) {
	spec := `version: 1
name: shop
entity: email
sources:
  people:
    path: data/people.csv
    columns:
      email: {type: VARCHAR, pii: email}
      spend: {type: DOUBLE}
segmentations:
  value:
    from: people
    rules: [{segment: big, when: "spend >= 10"}]
    else: small
audiences:
  big_ones:
    include: {value: [big]}
exports:
  - {segmentation: value, path: out/value.csv, pii: clear}
  - {segmentation: big_ones, path: out/big.csv, pii: clear}
`
	f := newFixture(t, spec, "")
	f.write("data/people.csv", "email,spend\nann@x.com,50\nbob@x.com,5\n")
	res, err := f.run("2024-01-31", nil)
	if err == nil || res == nil || res.Validation == nil {
		t.Fatalf("run: %v, want the spec refused", err)
	}
	var msgs []string
	for _, d := range res.Validation.Diagnostics {
		msgs = append(msgs, d.Path+": "+d.Message)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "/exports/1/pii: ") || !strings.Contains(all, "no consent") || strings.Contains(all, "/exports/0") {
		t.Errorf("diagnostics:\n%s\nwant exports/1 (the audience's, in clear without consent) refused, and only it", all)
	}
}

// A change file with pii: clear on an audience whose entity is personal wrote the exit of a customer who
// had withdrawn consent with their email in clear. Their exit is still written (the reader must drop them),
// but their entity hashed, as segrun export --changes writes it (and refuses --pii clear for): after the
// withdrawal no clear identifier of theirs leaves. A customer who exits while consenting is written in
// clear, as the destination says.
func TestChangesFileHashesTheExitOfAWithdrawal(t *testing.T) {
	spec := `version: 1
name: shop
entity: email
sources:
  customers:
    path: data/customers.csv
    columns:
      email: {type: VARCHAR, pii: email}
      active: {type: BOOLEAN}
      opt_in: {type: BOOLEAN}
segmentations:
  activity:
    from: customers
    rules: [{segment: active, when: "active"}]
    else: inactive
audiences:
  mailing:
    include: {activity: [active]}
    consent: {from: customers, column: opt_in}
    destinations: [changes_file, full_file]
destinations:
  changes_file: {path: out/changes.csv, mode: changes, pii: clear}
  full_file: {path: out/full.csv, pii: clear}
`
	f := newFixture(t, spec, "")
	f.write("data/customers.csv", "email,active,opt_in\nAnn@x.com,true,true\nDee@x.com,true,true\nEve@x.com,true,true\n")
	f.mustRun("2024-01-31", nil)
	// Ann withdraws consent; Eve, still consenting, is no longer active.
	f.write("data/customers.csv", "email,active,opt_in\nAnn@x.com,true,false\nDee@x.com,true,true\nEve@x.com,false,true\n")
	f.mustRun("2024-02-29", nil)
	want := "email,group,event\n" + holdoutHex("ann@x.com") + ",treatment,exited\nEve@x.com,treatment,exited\n"
	if got := f.read("out/changes.csv"); got != want {
		t.Errorf("changes file:\n%s\nwant\n%s", got, want)
	}
	if got := f.read("out/full.csv"); got != "email,group\nDee@x.com,treatment\n" {
		t.Errorf("full file:\n%s", got)
	}
}
