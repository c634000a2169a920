package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/schema"
)

// run drives the real command in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = Run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no arguments", nil, ExitUsage, ""},
		{"unknown command with a suggestion", []string{"valdiate"}, ExitUsage, `did you mean "validate"`},
		{"unknown flag", []string{"validate", "--nodata", "x.yaml"}, ExitUsage, "flag provided but not defined"},
		{"bad format", []string{"validate", "--format", "xml", "x.yaml"}, ExitUsage, "want one of text, json, github"},
		{"no spec", []string{"validate"}, ExitUsage, "no spec given"},
		{"unreadable spec is the environment", []string{"validate", "testdata/does-not-exist.yaml"}, ExitEnvironment, "no such file"},
		{"invalid spec", []string{"validate", "testdata/invalid/rules.yaml"}, ExitInvalid, "spec invalid"},
		{"warnings only", []string{"validate", "testdata/invalid/warnings.yaml"}, ExitOK, "spec valid (7 warnings)"},
		{"help", []string{"validate", "--help"}, ExitOK, ""},
		{"plan of an invalid spec", []string{"plan", "testdata/invalid/cycle.yaml"}, ExitInvalid, "cycle: a -> b -> c -> a"},
		{"plan takes one spec", []string{"plan", "a.yaml", "b.yaml"}, ExitUsage, "exactly one spec"},
		{"schema takes no arguments", []string{"schema", "x"}, ExitUsage, "no arguments"},
		{"init needs a valid name", []string{"init", "Bad-Name"}, ExitUsage, "not a valid pipeline name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, tt.msg) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tt.msg, stdout, stderr)
			}
		})
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	// People type flags after the spec; both orders must mean the same.
	_, _, before := run(t, "validate", "--no-data", "testdata/invalid/nodata.yaml")
	_, _, after := run(t, "validate", "testdata/invalid/nodata.yaml", "--no-data")
	if before != after || before != ExitInvalid {
		t.Errorf("exit codes %d and %d, want both %d", before, after, ExitInvalid)
	}
}

func TestSchemaCommandPrintsTheEmbeddedSchema(t *testing.T) {
	stdout, _, code := run(t, "schema")
	if code != ExitOK || stdout != string(schema.JSON()) {
		t.Fatalf("exit %d; output is not the embedded schema", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
}

func TestInitWritesASpecThatValidatesAndPlans(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := run(t, "init", "--dir", dir, "shop")
	if code != ExitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	specFile := filepath.Join(dir, "shop.yaml")
	if !strings.Contains(stdout, "wrote "+specFile) {
		t.Errorf("init output: %s", stdout)
	}
	for _, args := range [][]string{{"validate", specFile}, {"validate", "--no-data", specFile}, {"plan", specFile}} {
		if _, stderr, code := run(t, args...); code != ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
	}
	// Without --force, init never overwrites a spec someone may have edited.
	if _, stderr, code := run(t, "init", "--dir", dir, "shop"); code != ExitInvalid || !strings.Contains(stderr, "already exists") {
		t.Errorf("second init: exit %d: %s", code, stderr)
	}
}

func TestPlanFormatsGolden(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "retail.yaml")
	src, err := examples.Pipelines.ReadFile(examples.FlagshipSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "dot", "mermaid", "json"} {
		t.Run(format, func(t *testing.T) {
			stdout, stderr, code := run(t, "plan", "--no-data", "--format", format, spec)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			compareGolden(t, "testdata/formats/plan."+format, stdout)
		})
	}
}
