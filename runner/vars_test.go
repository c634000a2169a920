package runner

import (
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/spec"
)

func specWithVars(t *testing.T, vars string) *spec.Spec {
	t.Helper()
	s, diags := spec.Parse("x.yaml", []byte("version: 1\nname: x\nentity: id\nsources: {a: {path: a.csv}}\nvars:\n"+vars))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return s
}

func TestResolveVars(t *testing.T) {
	s := specWithVars(t, "  days: 90\n  share: 0.5\n  region: GB\n  launch: 2024-03-01\n  quoted_date: '2024-04-01'\n  staff: false\n")
	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	vars, err := ResolveVars(s, map[string]string{"days": "60", "staff": "true"}, asOf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"days": "BIGINT", "share": "DOUBLE", "region": "VARCHAR", "launch": "DATE", "quoted_date": "DATE", "staff": "BOOLEAN", "as_of": "DATE"}
	for _, v := range vars {
		if want[v.Name] != v.Type {
			t.Errorf("%s: type %s, want %s", v.Name, v.Type, want[v.Name])
		}
	}
	if vars[0].Value != int64(60) || vars[5].Value != true || vars[len(vars)-1].Value != asOf {
		t.Errorf("values: %+v", vars)
	}
}

func TestResolveVarsErrors(t *testing.T) {
	s := specWithVars(t, "  active_days: 90\n  launch: 2024-03-01\n")
	for overrides, want := range map[string]string{
		"active_days=ninety": "must be a whole number",
		"launch=soon":        "a date like 2024-12-31",
		"active_dayz=3":      `did you mean "active_days"`,
		"as_of=2024-01-01":   "--as-of",
	} {
		name, value, _ := strings.Cut(overrides, "=")
		_, err := ResolveVars(s, map[string]string{name: value}, time.Now())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("--var %s: got %v, want %q", overrides, err, want)
		}
	}
}
