package endtoend

import (
	"strings"
	"testing"
	"time"
)

// The harness's own helpers: a wrong diff or an over-eager mask would hide behaviour the goldens pin.

func TestUnifiedDiffShowsEachChangeInContext(t *testing.T) {
	want := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
	got := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"
	diff := unifiedDiff("want", "got", want, got)
	for _, line := range []string{"--- want", "+++ got", "@@ -1,5 +1,5 @@", "-b", "+B", "@@ -10,3 +10,4 @@", "+m"} {
		if !strings.Contains(diff, line+"\n") {
			t.Errorf("diff lacks %q:\n%s", line, diff)
		}
	}
	if unifiedDiff("want", "got", want, want) != "" {
		t.Error("equal texts differ")
	}
}

func TestMaskKeepsBehaviourAndHidesTheClock(t *testing.T) {
	m := &masker{dirs: []string{"/tmp/case123"}}
	now := time.Now().UTC()
	in := "as of 2024-01-31, order at 2024-01-31 10:00:00, published " + now.Format("2006-01-02 15:04:05") +
		", modified " + now.Format(time.RFC3339Nano) + ", store /tmp/case123/segrun.duckdb\n" +
		"  source orders  187 rows  0.02s\ntotal 1.25s\n  90 rule evaluations in 0.001s (0.1M/s)\n"
	want := "as of 2024-01-31, order at 2024-01-31 10:00:00, published <time>, modified <time>, store $WORK/segrun.duckdb\n" +
		"  source orders  187 rows  <time>\ntotal <time>\n  90 rule evaluations in <time> (<rate>)\n"
	if got := m.text(in); got != want {
		t.Errorf("masked:\n%s\nwant:\n%s", got, want)
	}
	got := m.output(`{"seconds": 1.5, "share": 0.33333333333333337, "tiny": -1e-17, "n": 3, "x": "{\"seconds\":2}"}`)
	want = "{\n  \"n\": 3,\n  \"seconds\": \"<masked>\",\n  \"share\": 0.333333333,\n  \"tiny\": 0,\n  \"x\": \"{\\\"seconds\\\":\\\"<masked>\\\"}\"\n}\n"
	if got != want {
		t.Errorf("canonical JSON:\n%s\nwant:\n%s", got, want)
	}
}
