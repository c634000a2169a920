package runner

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The profiles segrun stores with a version agree with pandas' (scripts/profile_reference.py, which
// writes testdata/profiles/expected.json): a rules segmentation with profile: naming numbers and texts,
// NULLs among them and more text values than the top five, a multi one profiling its numbers by
// default, and one whose unassigned entities are in the population only.
func TestProfilesMatchPandas(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"shop.yaml", "customers.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata/profiles", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "shop.yaml")}
	f.mustRun("2024-06-01", nil)

	b, err := os.ReadFile("testdata/profiles/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]SegmentProfiles
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	for _, seg := range []string{"value", "tags", "firsts"} {
		rows := f.query(fmt.Sprintf("SELECT summary::VARCHAR FROM segrun_store.segmentation_versions WHERE segmentation = '%s'", seg))
		if len(rows) != 1 {
			t.Fatalf("%s: %d versions", seg, len(rows))
		}
		var text string
		if err := json.Unmarshal([]byte(rows[0]), &text); err != nil { // FormatValue quotes the text
			text = rows[0]
		}
		var rep SegmentationReport
		if err := json.Unmarshal([]byte(text), &rep); err != nil {
			t.Fatalf("%s: summary %s: %v", seg, text, err)
		}
		want := expected[seg]
		if rep.Profiles == nil {
			t.Fatalf("%s: no profiles stored", seg)
		}
		compareProfiles(t, seg, rep.Profiles, &want)
	}
}

func compareProfiles(t *testing.T, seg string, got, want *SegmentProfiles) {
	t.Helper()
	if fmt.Sprint(got.Numbers, got.Texts) != fmt.Sprint(want.Numbers, want.Texts) {
		t.Errorf("%s: columns %v %v, want %v %v", seg, got.Numbers, got.Texts, want.Numbers, want.Texts)
	}
	compareSegment(t, seg+" population", got.Population, want.Population)
	if len(got.Segments) != len(want.Segments) {
		t.Fatalf("%s: %d segments, want %d", seg, len(got.Segments), len(want.Segments))
	}
	for i := range want.Segments {
		compareSegment(t, seg+" "+want.Segments[i].Segment, got.Segments[i], want.Segments[i])
	}
}

func compareSegment(t *testing.T, what string, got, want SegmentProfile) {
	t.Helper()
	if got.Segment != want.Segment || got.Size != want.Size {
		t.Errorf("%s: segment %q of %d, want %q of %d", what, got.Segment, got.Size, want.Segment, want.Size)
	}
	closeTo(t, what+" share", got.Share, want.Share)
	if len(got.Numbers) != len(want.Numbers) || len(got.Texts) != len(want.Texts) {
		t.Errorf("%s: %d numbers and %d texts, want %d and %d", what, len(got.Numbers), len(got.Texts), len(want.Numbers), len(want.Texts))
	}
	for col, w := range want.Numbers {
		g := got.Numbers[col]
		for _, s := range []struct {
			name      string
			got, want *float64
		}{{"mean", g.Mean, w.Mean}, {"median", g.Median, w.Median}, {"p10", g.P10, w.P10}, {"p90", g.P90, w.P90}, {"sd", g.SD, w.SD}, {"lift", g.Lift, w.Lift}} {
			at := what + " " + col + " " + s.name
			switch {
			case s.want == nil && s.got != nil:
				t.Errorf("%s: %g, want none", at, *s.got)
			case s.want != nil && s.got == nil:
				t.Errorf("%s: none, want %g", at, *s.want)
			case s.want != nil:
				closeTo(t, at, *s.got, *s.want)
			}
		}
	}
	for col, w := range want.Texts {
		g := got.Texts[col]
		if len(g) != len(w) {
			t.Errorf("%s %s: %d values %v, want %d %v", what, col, len(g), g, len(w), w)
			continue
		}
		for i := range w {
			at := fmt.Sprintf("%s %s %d", what, col, i)
			if g[i].Value != w[i].Value {
				t.Errorf("%s: value %q, want %q", at, g[i].Value, w[i].Value)
			}
			closeTo(t, at+" share", g[i].Share, w[i].Share)
			closeTo(t, at+" lift", g[i].Lift, w[i].Lift)
		}
	}
}

func closeTo(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(math.Abs(want), 1e-300) {
		t.Errorf("%s: %.17g, want %.17g", what, got, want)
	}
}

// Segmentations of one input profiling the same numeric columns share its population's summary, computed
// once per run: a copy of tags (multi) and one of firsts (single-label, some entities unassigned), each
// after its original, profile the same as the original, segments and population alike.
func TestProfilesSharedPopulationMatchPandas(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/profiles/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	shop, err := os.ReadFile("testdata/profiles/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	again := string(shop) + `
  tags_again:
    from: customers
    multi: true
    rules:
      - {segment: big, when: "spend >= 200"}
      - {segment: frequent, when: "visits >= 8"}
    profile: [spend, visits]
  firsts_again:
    from: customers
    rules:
      - {segment: big, when: "spend >= 200"}
      - {segment: frequent, when: "visits >= 8"}
    profile: [spend, region]
`
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(again), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "shop.yaml")}
	res := f.mustRun("2024-06-01", nil)

	b, err = os.ReadFile("testdata/profiles/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var expected map[string]SegmentProfiles
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"tags": "tags", "firsts": "firsts", "tags_again": "tags", "firsts_again": "firsts"}
	seen := 0
	for _, rep := range res.Segmentations {
		ref, ok := want[rep.Name]
		if !ok {
			continue
		}
		seen++
		if rep.Profiles == nil {
			t.Fatalf("%s: no profiles", rep.Name)
		}
		w := expected[ref]
		compareProfiles(t, rep.Name, rep.Profiles, &w)
	}
	if seen != len(want) {
		t.Fatalf("%d of the %d segmentations reported", seen, len(want))
	}
}

// Profiles are on by default, capped: a segmentation without profile: profiles its input's first
// profileDefaultColumns numeric columns (the entity and text columns not among them) and counts those
// the cap left out; one with profile: [] stores no profiles.
func TestProfilesDefaultCapAndOff(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/profiles/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var cols []string
	var want []string
	for i := range profileDefaultColumns + 3 {
		cols = append(cols, fmt.Sprintf("spend + %d AS n%02d", i, i))
		if i < profileDefaultColumns {
			want = append(want, fmt.Sprintf("n%02d", i))
		}
	}
	spec := fmt.Sprintf(`version: 1
name: wide
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      spend: {type: DOUBLE}
      visits: {type: BIGINT}
      tier: {type: VARCHAR}
      region: {type: VARCHAR}
features:
  wide:
    sql: select customer_id, tier, %s from customers
segmentations:
  capped:
    from: wide
    rules:
      - {segment: big, when: "n00 >= 200"}
    else: other
  off:
    from: wide
    rules:
      - {segment: big, when: "n00 >= 200"}
    else: other
    profile: []
`, strings.Join(cols, ", "))
	if err := os.WriteFile(filepath.Join(dir, "wide.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "wide.yaml")}
	res := f.mustRun("2024-06-01", nil)
	seen := 0
	for _, rep := range res.Segmentations {
		switch rep.Name {
		case "capped":
			seen++
			p := rep.Profiles
			if p == nil {
				t.Fatal("capped: no profiles")
			}
			if fmt.Sprint(p.Numbers) != fmt.Sprint(want) || len(p.Texts) != 0 || p.Unprofiled != 3 {
				t.Errorf("capped: numbers %v, texts %v, %d unprofiled; want %v, none, 3", p.Numbers, p.Texts, p.Unprofiled, want)
			}
			if len(p.Segments) != 2 || p.Population.Numbers["n11"].Mean == nil {
				t.Errorf("capped: %d segments, population %v", len(p.Segments), p.Population.Numbers)
			}
		case "off":
			seen++
			if rep.Profiles != nil {
				t.Errorf("off: profile: [] stored profiles %+v", rep.Profiles)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d of 2 segmentations reported", seen)
	}
	rows := f.query("SELECT count(*) FROM segrun_store.segmentation_versions WHERE segmentation = 'off' AND summary::VARCHAR LIKE '%profiles%'")
	if len(rows) != 1 || rows[0] != "0" {
		t.Errorf("off: stored summary mentions profiles: %v", rows)
	}
}

// A result in its input's order is read by position, one in another order by entity: a clustering's
// (written by entity) over an input in entity order for its first 3000 rows only, profiled when the
// first rows give that away and when only the read by position finds it, a batch in (profileProbeRows
// 0), drops what it read and starts again, profiles the same; and a rules segmentation's read by
// position has the same population as the clustering's.
func TestProfilesReadByPositionOrByEntity(t *testing.T) {
	spec := `version: 1
name: order
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT, not_null: true}
      spend: {type: DOUBLE}
      visits: {type: BIGINT}
      tier: {type: VARCHAR}
      region: {type: VARCHAR}
features:
  shuffled:
    sql: |
      select i as customer_id, (i % 97)::DOUBLE as spend, i % 13 as visits from range(6000) t(i)
      order by case when i < 3000 then i else 9000 - i end
segmentations:
  clusters:
    from: shuffled
    cluster: {method: kmeans, features: [spend, visits], k: 3, seed: 1}
  same:
    from: shuffled
    rules:
      - {segment: a, when: "spend >= 200"}
      - {segment: b, when: "visits >= 8"}
    else: c
`
	profiles := func(probe int) map[string]*SegmentProfiles {
		t.Helper()
		saved := profileProbeRows
		profileProbeRows = probe
		defer func() { profileProbeRows = saved }()
		dir := t.TempDir()
		b, err := os.ReadFile("testdata/profiles/customers.csv")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "customers.csv"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "order.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "order.yaml")}
		got := map[string]*SegmentProfiles{}
		for _, rep := range f.mustRun("2024-06-01", nil).Segmentations {
			got[rep.Name] = rep.Profiles
		}
		return got
	}
	probed, unprobed := profiles(4096), profiles(0)
	for _, name := range []string{"clusters", "same"} {
		a, b := probed[name], unprobed[name]
		if a == nil || b == nil {
			t.Fatalf("%s: no profiles", name)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s: probed and unprobed differ:\n%s\n%s", name, ja, jb)
		}
	}
	// Each segment's size-weighted means add up to the population's: every row was counted once.
	for name, p := range probed {
		var sum float64
		for _, s := range p.Segments {
			sum += float64(s.Size) * *s.Numbers["spend"].Mean
		}
		closeTo(t, name+" weighted means", sum/float64(p.Population.Size), *p.Population.Numbers["spend"].Mean)
	}
	ja, _ := json.Marshal(probed["clusters"].Population)
	jb, _ := json.Marshal(probed["same"].Population)
	if string(ja) != string(jb) {
		t.Errorf("populations differ:\n%s\n%s", ja, jb)
	}
}
