package cli

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segrun export hashes an entity the spec declared personal, as the spec's exports do, and writes it as
// it is with --pii clear: the kind is recorded in the store with the version, so a --store without the
// spec knows it too.
func TestExportHashesAPersonalEntity(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shop.yaml", `version: 1
name: shop
entity: email
sources:
  customers:
    path: data/customers.csv
    columns:
      email: {type: VARCHAR, pii: email}
      spend: {type: DOUBLE}
segmentations:
  big:
    from: customers
    rules: [{segment: big, when: "spend > 10"}]
`)
	write("data/customers.csv", "email,spend\nAnn@Example.com,20\n")
	if _, stderr, code := run(t, "run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-01-31"); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	store := filepath.Join(dir, "segrun.duckdb")
	hashed, clear := filepath.Join(dir, "hashed.csv"), filepath.Join(dir, "clear.csv")
	if _, stderr, code := run(t, "export", "big", "--store", store, "--out", hashed); code != ExitOK {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(t, "export", "big", "--store", store, "--out", clear, "--pii", "clear"); code != ExitOK {
		t.Fatalf("export --pii clear: exit %d: %s", code, stderr)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read(hashed), fmt.Sprintf("email,segment\n%x,big\n", sha256.Sum256([]byte("ann@example.com"))); got != want {
		t.Errorf("hashed export: %q, want %q", got, want)
	}
	if got := read(clear); !strings.Contains(got, "Ann@Example.com,big") {
		t.Errorf("clear export: %q", got)
	}
}
