package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// A sql_file is read once per spec: the spec checks read it while loading, and every later caller
// (validation, the plan, the spec hash) gets those bytes, whatever the file holds by then.
func TestFeatureSQLReadsAFileOnce(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("f.sql", "select 1 as x")
	write("s.yaml", "version: 1\nname: p\nentity: x\nfeatures:\n  f:\n    sql_file: f.sql\n")
	s, _, err := Load(filepath.Join(dir, "s.yaml")) // other keys missing: the feature is still checked
	if err != nil || s == nil {
		t.Fatalf("load: %v", err)
	}
	write("f.sql", "select 2 as x")
	text, err := s.FeatureSQL("f")
	if err != nil || text.SQL != "select 1 as x" {
		t.Errorf("FeatureSQL after the file changed: %q, %v; want the text loaded", text.SQL, err)
	}
}
