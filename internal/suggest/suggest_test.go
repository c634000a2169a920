package suggest

import "testing"

func TestNearest(t *testing.T) {
	cands := []string{"recency_days", "frequency", "monetary", "min_samples", "average"}
	for word, want := range map[string]string{
		"frequnecy": "frequency", "monetry": "monetary", "zzz": "", "RECENCY_DAYS": "recency_days",
		"min_sample": "min_samples", "avrage": "average", "": "",
	} {
		if got := Nearest(word, cands); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"ü", "u", 1}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
