package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/segrun/segrun/internal/report"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// tinySpec segments customers by their spend with one rule, profiling spend: small enough that every
// number the report shows can be worked out by hand from the two data files below.
const tinySpec = `version: 1
name: tiny
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT}
      spend: {type: DOUBLE}
segmentations:
  tier:
    from: customers
    rules:
      - {segment: high, when: "spend >= 100"}
    else: low
    profile: [spend]
`

// The two versions' data: customer id -> spend. Between them 1 and 2 fall from high to low, 5 rises from
// low to high, 6 leaves and 7 arrives (high).
var tinyVersions = []map[int]float64{
	{1: 150, 2: 120, 3: 200, 4: 10, 5: 20, 6: 30},
	{1: 50, 2: 60, 3: 210, 4: 15, 5: 130, 7: 400},
}

// tinyStore runs the spec twice, once per data file, and opens the store for reading.
func tinyStore(t *testing.T) *store.Store {
	t.Helper()
	dir := t.TempDir()
	spec := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(spec, []byte(tinySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, data := range tinyVersions {
		var csv strings.Builder
		csv.WriteString("customer_id,spend\n")
		for _, id := range slices.Sorted(maps.Keys(data)) {
			fmt.Fprintf(&csv, "%d,%g\n", id, data[id])
		}
		if err := os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(csv.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		segrun(t, "run", spec, "--as-of", fmt.Sprintf("2024-0%d-01", i+1))
	}
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := store.Attach(ctx, db, filepath.Join(dir, "segrun.duckdb"), store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// tierOf is the rule, applied independently of segrun.
func tierOf(spend float64) string {
	if spend >= 100 {
		return "high"
	}
	return "low"
}

// TestLoadGetsTheNumbersRight holds the report's model to numbers worked out from the data directly:
// shares now, sizes in each version, the moves between the versions (stayers, movers, new and gone), and
// the lift of spend per segment.
func TestLoadGetsTheNumbersRight(t *testing.T) {
	st := tinyStore(t)
	r, err := report.Load(context.Background(), st, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Versions) != 2 || r.Latest.Run != 2 || r.Pipeline != "tiny" {
		t.Fatalf("versions %+v, latest %+v, pipeline %q", r.Versions, r.Latest, r.Pipeline)
	}
	if len(r.Segmentations) != 1 || r.Segmentations[0].Name != "tier" {
		t.Fatalf("segmentations %+v", r.Segmentations)
	}
	s := r.Segmentations[0]

	// Sizes per version, and the latest shares.
	for v, data := range tinyVersions {
		want := map[string]int64{}
		for _, spend := range data {
			want[tierOf(spend)]++
		}
		if got := s.History[v].Sizes; !mapsEqual(got, want) {
			t.Errorf("version %d sizes %v, want %v", v+1, got, want)
		}
	}
	latest := tinyVersions[1]
	for _, seg := range s.Segments {
		var n int64
		for _, spend := range latest {
			if tierOf(spend) == seg.Segment {
				n++
			}
		}
		if seg.Size != n || math.Abs(seg.Share-float64(n)/float64(len(latest))) > 1e-12 {
			t.Errorf("%s: size %d share %g, want %d and %g", seg.Segment, seg.Size, seg.Share, n, float64(n)/float64(len(latest)))
		}
	}
	if !slices.Equal(s.Order, []string{"high", "low"}) { // high has 3 of 6 now, low 3: equal sizes go by name
		t.Errorf("order %v", s.Order)
	}

	// Moves: every customer of either version, from its tier then ("" if absent) to its tier now.
	want := map[[2]string]int64{}
	for id := 1; id <= 7; id++ {
		from, to := "", ""
		if spend, ok := tinyVersions[0][id]; ok {
			from = tierOf(spend)
		}
		if spend, ok := tinyVersions[1][id]; ok {
			to = tierOf(spend)
		}
		want[[2]string{from, to}]++
	}
	if s.Moves == nil {
		t.Fatal("no moves between the two versions")
	}
	got := map[[2]string]int64{}
	for _, f := range s.Moves.Flows {
		got[[2]string{f.From, f.To}] += f.Entities
	}
	if !mapsEqual(got, want) {
		t.Errorf("moves %v, want %v", got, want)
	}
	if s.Moves.Total() != 7 || s.Moves.From.Run != 1 || s.Moves.To.Run != 2 {
		t.Errorf("moves total %d from %d to %d, want 7 from 1 to 2", s.Moves.Total(), s.Moves.From.Run, s.Moves.To.Run)
	}
	for i := 1; i < len(s.Moves.Flows); i++ {
		if s.Moves.Flows[i-1].Entities < s.Moves.Flows[i].Entities {
			t.Errorf("flows are not largest first: %+v", s.Moves.Flows)
		}
	}

	// Lift: a segment's mean spend over everyone's, in the latest version.
	var all float64
	sums, counts := map[string]float64{}, map[string]float64{}
	for _, spend := range latest {
		all += spend
		sums[tierOf(spend)] += spend
		counts[tierOf(spend)]++
	}
	mean := all / float64(len(latest))
	if s.Lift == nil || !slices.Equal(s.Lift.Features, []string{"spend"}) || !slices.Equal(s.Lift.Segments, []string{"high", "low"}) {
		t.Fatalf("lift table %+v", s.Lift)
	}
	for i, seg := range s.Lift.Segments {
		wantLift := sums[seg] / counts[seg] / mean
		if l := s.Lift.Lift[i][0]; l == nil || math.Abs(*l-wantLift) > 1e-9 {
			t.Errorf("%s: lift %v, want %g", seg, l, wantLift)
		}
	}
	if s.Cluster != nil {
		t.Error("a rules segmentation has a cluster view")
	}
}

// TestMatrixAndFlowAgreeWithTheMoves: every row of the transition matrix adds up to its segment's
// entities in the earlier version, each cell's share is of its row, and the flow diagram draws one band
// per move, titled with its count.
func TestMatrixAndFlowAgreeWithTheMoves(t *testing.T) {
	st := tinyStore(t)
	r, err := report.Load(context.Background(), st, report.Options{Segmentations: []string{"tier"}})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.Render(&page, r); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	// Rows: high (1, 2, 3 were high), low (4, 5, 6), (new) (7). Columns: high, low, (gone).
	for _, want := range []string{
		`<th scope="row">high</th><td style="background: rgba(78, 121, 167, 0.320)" class="diagonal">1<br><small>33.3%</small></td><td style="background: rgba(78, 121, 167, 0.560)">2<br><small>66.7%</small></td>`,
		`<th scope="row">(new)</th><td style="background: rgba(78, 121, 167, 0.800)">1<br><small>100.0%</small></td>`,
		`<title>high → low: 2</title>`, `<title>low → (gone): 1</title>`, `<title>(new) → high: 1</title>`, `<title>low → high: 1</title>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(html, `fill-opacity="0.45"`); n != len(r.Segmentations[0].Moves.Flows) {
		t.Errorf("%d bands for %d moves", n, len(r.Segmentations[0].Moves.Flows))
	}
	// The same store renders to the same page, byte for byte.
	var again bytes.Buffer
	if err := report.Render(&again, r); err != nil {
		t.Fatal(err)
	}
	if again.String() != html {
		t.Error("rendering twice gave two pages")
	}
}

// TestThePageFetchesNothing: no reference the browser would load from elsewhere (the browser test checks
// what Chromium actually requests; this catches it without one).
func TestThePageFetchesNothing(t *testing.T) {
	st := tinyStore(t)
	r, err := report.Load(context.Background(), st, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := report.Render(&page, r); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script src", "<link", "@import", "url(", "@font-face", "<img", "href=\"http", "xlink:href=\"http", "<image"} {
		if strings.Contains(page.String(), bad) {
			t.Errorf("the page has %q", bad)
		}
	}
}

func TestLoadRefusesAnUnknownSegmentation(t *testing.T) {
	st := tinyStore(t)
	_, err := report.Load(context.Background(), st, report.Options{Segmentations: []string{"teir"}})
	var unknown *report.UnknownSegmentationError
	if !errors.As(err, &unknown) || unknown.Name != "teir" || !slices.Equal(unknown.Have, []string{"tier"}) {
		t.Fatalf("error %v", err)
	}
}

func mapsEqual[K comparable](a, b map[K]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
