package algorithms

import "testing"

// A data error's count agrees with its reason: "1 value is missing", not "1 values are missing".
func TestDataErrorAgreesWithItsCount(t *testing.T) {
	for _, tc := range []struct {
		err  DataError
		want string
	}{
		{DataError{Column: "m", Count: 1, Reason: "values are +Inf or -Inf"}, "column m: 1 value is +Inf or -Inf"},
		{DataError{Column: "m", Count: 3, Reason: "values are +Inf or -Inf"}, "column m: 3 values are +Inf or -Inf"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}
