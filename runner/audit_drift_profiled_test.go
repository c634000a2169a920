package runner

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A drift audit over numbers only, of a segmentation whose profile reads those numbers, counts its bins
// over the values the profile read (profiledValues) instead of reading the input again; with `profile: []`
// it reads them itself (driftShares). Both must give numpy's bins, shares and PSIs
// (testdata/drift/expected.json, scripts/psi_reference.py), over NULLs, tied values and customers gone
// and new: the spec of TestDriftAndStabilityMatchNumpyAndScikitLearn without its text column.
func TestDriftFromTheProfilesValuesMatchesNumpy(t *testing.T) {
	b, err := os.ReadFile("testdata/drift/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want driftExpected
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	shop, err := os.ReadFile("testdata/drift/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile("testdata/drift/customers.csv")
	if err != nil {
		t.Fatal(err)
	}
	const numbersOnly = "drift: {columns: [spend, visits], psi: 0.1}"
	for _, profile := range []string{"", "    profile: []\n"} {
		t.Run(fmt.Sprintf("profile %q", strings.TrimSpace(profile)), func(t *testing.T) {
			spec := strings.Replace(string(shop), "drift: {columns: [spend, visits, tier], psi: 0.1}", numbersOnly, 1)
			spec = strings.Replace(spec, "  value:\n    from: current\n", "  value:\n    from: current\n"+profile, 1)
			if !strings.Contains(spec, numbersOnly) || !strings.Contains(spec, "  value:\n    from: current\n"+profile) {
				t.Fatal("testdata/drift/shop.yaml changed: this test's edits no longer apply")
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(spec), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "customers.csv"), csv, 0o644); err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, dir: dir, spec: filepath.Join(dir, "shop.yaml")}
			f.mustRun("2024-01-31", func(o *RunOptions) { o.Vars = map[string]string{"period": "1"} })
			f.mustRun("2024-02-29", func(o *RunOptions) { o.Vars = map[string]string{"period": "2"} })
			close := func(what string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("%s = %.17g, reference %.17g", what, got, want)
				}
			}
			closeAll := func(what string, got, want []float64) {
				t.Helper()
				if len(got) != len(want) {
					t.Errorf("%s: %v, reference %v", what, got, want)
					return
				}
				for i := range got {
					close(fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
				}
			}
			v1 := f.summary(1, "value")
			if len(v1.AuditBins) != 2 {
				t.Fatalf("version 1 stored bins of %d columns, want 2", len(v1.AuditBins))
			}
			for _, got := range v1.AuditBins {
				w := want.Bins[got.Column]
				if got.Rows != w.Rows {
					t.Errorf("%s: %d rows, reference %d", got.Column, got.Rows, w.Rows)
				}
				closeAll(got.Column+" edges", got.Edges, w.Edges)
				closeAll(got.Column+" shares", got.Shares, w.Shares)
				if len(got.Segments) != len(w.Segments) {
					t.Errorf("%s: segments %v, reference %v", got.Column, got.Segments, w.Segments)
				}
				for seg, ws := range w.Segments {
					gs := got.Segments[seg]
					if gs.Rows != ws.Rows {
						t.Errorf("%s in %s: %d rows, reference %d", got.Column, seg, gs.Rows, ws.Rows)
					}
					closeAll(got.Column+" in "+seg, gs.Shares, ws.Shares)
				}
			}
			seen := 0
			for _, c := range f.summary(2, "value").Audits[0].Checks {
				switch {
				case c.Value == nil:
					t.Errorf("not compared: %+v", c)
				case c.Segment == "":
					close("PSI of "+c.Column, *c.Value, want.PSI[c.Column])
					seen++
				default:
					close(fmt.Sprintf("PSI of %s in %s", c.Column, c.Segment), *c.Value, want.SegmentPSI[c.Column][c.Segment])
					seen++
				}
			}
			if seen != 2+6 {
				t.Errorf("%d PSIs compared, want 2 columns and 3 segments of each", seen)
			}
		})
	}
}

// binCounts' sign-bit comparison bins as e < v does, at the values where a difference's sign could
// mislead: zeros of both signs (an edge -0 against a value +0), infinities, values equal to an edge,
// and numbers too far apart for their difference to be finite.
func TestBinCountsAsComparing(t *testing.T) {
	edges := []float64{-math.MaxFloat64, -1, math.Copysign(0, -1), 5e-324, 1, math.MaxFloat64}
	values := []float64{math.Inf(-1), -math.MaxFloat64, -1, -0.5, math.Copysign(0, -1), 0, 5e-324, 1e-323, 1, 2,
		math.MaxFloat64, math.Inf(1)}
	got := binCounts(values, int64(len(values))+3, edges)
	want := make([]int64, len(edges)+2)
	for _, v := range values {
		bin := 0
		for _, e := range edges {
			if e < v {
				bin++
			}
		}
		want[bin]++
	}
	want[len(edges)+1] = 3
	if !slices.Equal(got, want) {
		t.Errorf("binCounts = %v, comparing %v", got, want)
	}
}
