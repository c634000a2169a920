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

// segrun export of an audience whose entity is personal: hashed unless --pii clear, never an entity
// without consent (Bob never consented, Ann withdrew it in version 2), and a clear change log, which would
// carry Ann's exit in clear, is refused (exit 2) while the hashed one is written.
func TestExportOfAnAudienceKeepsConsent(t *testing.T) {
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
      opt_in: {type: BOOLEAN}
segmentations:
  everyone:
    from: customers
    rules: [{segment: members, when: "true"}]
audiences:
  mailing:
    include: {everyone: [members]}
    consent: {from: customers, column: opt_in}
`)
	spec := filepath.Join(dir, "shop.yaml")
	write("data/customers.csv", "email,opt_in\nAnn@x.com,true\nBob@x.com,false\nDee@x.com,true\n")
	if _, stderr, code := run(t, "run", spec, "--as-of", "2024-01-31"); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	write("data/customers.csv", "email,opt_in\nAnn@x.com,false\nBob@x.com,false\nDee@x.com,true\n")
	if _, stderr, code := run(t, "run", spec, "--as-of", "2024-02-29"); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	read := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	h := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	out := filepath.Join(dir, "out.csv")
	export := func(args ...string) (string, string, int) {
		os.Remove(out)
		return run(t, append([]string{"export", "mailing", spec, "--out", out}, args...)...)
	}
	if _, stderr, code := export(); code != ExitOK || read(out) != "email,segment\n"+h("dee@x.com")+",treatment\n" {
		t.Errorf("hashed export: exit %d %s\n%s", code, stderr, read(out))
	}
	if _, stderr, code := export("--pii", "clear"); code != ExitOK || read(out) != "email,segment\nDee@x.com,treatment\n" {
		t.Errorf("clear export: exit %d %s\n%s", code, stderr, read(out))
	}
	if _, stderr, code := export("--pii", "clear", "--run", "1"); code != ExitOK || strings.Contains(read(out), "Bob") {
		t.Errorf("clear export of version 1: exit %d %s\n%s", code, stderr, read(out))
	}
	if _, stderr, code := export("--pii", "clear", "--changes"); code != ExitUsage || !strings.Contains(stderr, "withdrew consent") {
		t.Errorf("clear change log: exit %d %s", code, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the refused export wrote %s", read(out))
	}
	if _, stderr, code := export("--changes"); code != ExitOK || strings.Contains(read(out), "Ann") || !strings.Contains(read(out), h("ann@x.com")+",treatment,exited") {
		t.Errorf("hashed change log: exit %d %s\n%s", code, stderr, read(out))
	}
}
