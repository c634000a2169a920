package endtoend

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/cli"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/endtoend with the current behaviour")

// casesDir holds the cases, one directory each, at the repository's root.
const casesDir = "../../testdata/endtoend"

// Golden files of a case; everything else in its directory is its input (the spec, data, SQL files).
const (
	argsFile   = "args"
	outputFile = "output.golden" // each command line with its stdout, stderr and exit code
	storeFile  = "store.golden"  // the store after the last command
	filesFile  = "files.golden"  // the files the commands wrote (exports), when there are any
)

// TestEndToEnd runs every case: it copies the case's inputs into a temporary directory, makes that the
// working directory, runs each line of its args file through cli.Run as segrun would, and compares the
// transcript, the files written and the store with the case's goldens. Cases run one after another (the
// working directory is the process's).
//
// The args file holds one command line per line, without the program name, split at spaces (no
// quoting); blank lines and lines starting with # are skipped.
func TestEndToEnd(t *testing.T) {
	root, err := filepath.Abs(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) { runCase(t, filepath.Join(root, e.Name())) })
	}
	if n == 0 {
		t.Fatalf("no cases in %s", root)
	}
}

func runCase(t *testing.T, caseDir string) {
	lines, err := commandLines(filepath.Join(caseDir, argsFile))
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if err := copyInputs(caseDir, work); err != nil {
		t.Fatal(err)
	}
	m := &masker{dirs: []string{work}}
	if real, err := filepath.EvalSymlinks(work); err == nil && real != work {
		m.dirs = append(m.dirs, real)
		if len(real) > len(work) {
			m.dirs[0], m.dirs[1] = real, work
		}
	}
	before, err := snapshot(work)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)

	var transcript strings.Builder
	for i, args := range lines {
		var stdout, stderr bytes.Buffer
		code := cli.Run(args, &stdout, &stderr)
		if i > 0 {
			transcript.WriteString("\n")
		}
		fmt.Fprintf(&transcript, "$ segrun %s\n", strings.Join(args, " "))
		if stdout.Len() > 0 {
			transcript.WriteString("[stdout]\n" + withNewline(m.output(stdout.String())))
		}
		if stderr.Len() > 0 {
			transcript.WriteString("[stderr]\n" + withNewline(m.text(stderr.String())))
		}
		fmt.Fprintf(&transcript, "[exit %d]\n", code)
	}
	compare(t, caseDir, outputFile, transcript.String())

	files, err := dumpFiles(work, before, m)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, caseDir, filesFile, files)

	stores, err := filepath.Glob(filepath.Join(work, "*.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	if len(stores) == 0 {
		dump.WriteString("no store\n")
	}
	for _, path := range stores {
		text, err := dumpStore(path, m)
		if err != nil {
			t.Fatalf("dumping %s: %v", path, err)
		}
		fmt.Fprintf(&dump, "#### store %s\n\n%s", filepath.Base(path), text)
	}
	compare(t, caseDir, storeFile, dump.String())
}

// commandLines reads an args file.
func commandLines(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, strings.Fields(line))
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: no command lines", path)
	}
	return lines, nil
}

// copyInputs copies a case's inputs (every file but its args and goldens) into dir.
func copyInputs(caseDir, dir string) error {
	return filepath.WalkDir(caseDir, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(caseDir, path)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if rel == argsFile || strings.HasSuffix(rel, ".golden") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
}

// compare checks got against a case's golden file, or rewrites it with -update. An empty files dump has
// no golden file.
func compare(t *testing.T, caseDir, name, got string) {
	t.Helper()
	path := filepath.Join(caseDir, name)
	if *update {
		if got == "" {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) && got == "" {
		return
	}
	if err != nil {
		t.Fatalf("%v (run go test -tags duckdb_arrow ./internal/endtoend -update to create it)", err)
	}
	if diff := unifiedDiff(name+" (golden)", name+" (now)", string(want), got); diff != "" {
		t.Errorf("%s/%s differs (if the change is intended, run go test -tags duckdb_arrow ./internal/endtoend -run 'TestEndToEnd/%s' -update and read the diff):\n%s",
			filepath.Base(caseDir), name, filepath.Base(caseDir), diff)
	}
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
