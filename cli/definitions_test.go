package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segrun docs: its exit codes, and a document written with --out whole, or not at all.
func TestDocsExitCodesAndOut(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "definitions.html")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in stderr, or stdout when the command succeeds
	}{
		{"no spec nor store", []string{"docs"}, ExitUsage, "give the spec"},
		{"two specs", []string{"docs", "testdata/invalid/warnings.yaml", "testdata/invalid/rules.yaml"}, ExitUsage, "at most one spec"},
		{"invalid spec", []string{"docs", "testdata/invalid/segments.yaml"}, ExitInvalid, "is not a segment of lifecycle"},
		{"store that does not exist", []string{"docs", "--store", filepath.Join(dir, "none.duckdb")}, ExitEnvironment, "no store at"},
		{"unwritable --out", []string{"docs", "testdata/invalid/warnings.yaml", "--out", filepath.Join(dir, "missing", "d.md")}, ExitEnvironment, "cannot write the document to " + filepath.Join(dir, "missing", "d.md")},
		{"html to --out, without a store", []string{"docs", "testdata/invalid/warnings.yaml", "--format", "html", "--out", out}, ExitOK, "wrote the definition document of shop"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := run(t, c.args...)
			got := stderr
			if code == ExitOK {
				got = stdout
			}
			if code != c.code || !strings.Contains(got, c.want) {
				t.Errorf("exit %d, want %d; want %q in:\n%s%s", code, c.code, c.want, stdout, stderr)
			}
		})
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if page := string(b); !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(page, "</html>\n") || !strings.Contains(page, "No store at") {
		t.Errorf("the page written is not a whole document saying there is no store:\n%s", page)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}
