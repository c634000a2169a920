package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every complete spec shown in the documentation (a YAML block starting with "version: 1") must validate
// without data, so examples people copy do not rot.
func TestDocumentedSpecsValidate(t *testing.T) {
	block := regexp.MustCompile("(?s)```yaml\n(version: 1\n.*?)```")
	n := 0
	for _, doc := range []string{"../README.md", "../docs/spec.md"} {
		src, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range block.FindAllStringSubmatch(string(src), -1) {
			n++
			file := filepath.Join(t.TempDir(), strings.TrimPrefix(filepath.Base(doc), ".")+".yaml")
			if err := os.WriteFile(file, []byte(m[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, stderr, code := run(t, "validate", "--no-data", file); code != ExitOK {
				t.Errorf("%s, example %d does not validate:\n%s", doc, i+1, stderr)
			}
		}
	}
	if n < 2 {
		t.Fatalf("found %d documented specs; the pattern no longer matches the docs", n)
	}
}
