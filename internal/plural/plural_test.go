package plural

import "testing"

func TestCountsAgreeWithTheirNumber(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Rows(1) + " " + Form(1, "fails", "fail"), "1 row fails"},
		{Rows(0) + " " + Form(0, "fails", "fail"), "0 rows fail"},
		{Values(2) + " " + Is(2) + " missing", "2 values are missing"},
		{Values(1) + " " + Do(1) + " not parse", "1 value does not parse"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
