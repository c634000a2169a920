package shell

import "testing"

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"shop.yaml":        "shop.yaml",
		"i dir/sub/x.yaml": "'i dir/sub/x.yaml'",
		"it's":             `'it'\''s'`,
		"":                 "''",
		"$HOME":            "'$HOME'",
		"a*b":              "'a*b'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
