package runner

import (
	"testing"

	"github.com/segrun/segrun/spec"
)

// A failing test's count agrees with its number: "1 row fails", not "1 rows fail".
func TestFailingTextAgreesWithItsCount(t *testing.T) {
	for _, tc := range []struct {
		kind string
		n    int64
		want string
	}{
		{"not_null", 1, "1 row fails"}, {"not_null", 3, "3 rows fail"},
		{"unique", 1, "1 value occurs more than once"}, {"unique", 2, "2 values occur more than once"},
		{"row_count", 2, "the table has 1 row"}, {"row_count", 6, "the table has 5 rows"},
	} {
		if got := failingText(spec.Test{Kind: tc.kind}, tc.n); got != tc.want {
			t.Errorf("%s, %d: %q, want %q", tc.kind, tc.n, got, tc.want)
		}
	}
}
