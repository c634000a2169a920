package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files with the current output")

// TestValidateGolden runs `segrun validate` on every spec in testdata/invalid and compares its stderr and
// exit code with the .stderr file beside it. A first line "# args: ..." adds flags. Run with -update to
// rewrite the golden files after an intended change, then read the diff.
func TestValidateGolden(t *testing.T) {
	specs, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs in testdata/invalid: %v", err)
	}
	for _, specFile := range specs {
		t.Run(strings.TrimSuffix(filepath.Base(specFile), ".yaml"), func(t *testing.T) {
			args := append([]string{"validate"}, specArgs(t, specFile)...)
			args = append(args, specFile)
			var stdout, stderr bytes.Buffer
			code := Run(args, &stdout, &stderr)
			got := stderr.String() + "exit " + itoa(code) + "\n"
			golden := strings.TrimSuffix(specFile, ".yaml") + ".stderr"
			compareGolden(t, golden, got)
		})
	}
}

// TestValidateFormatsGolden pins the machine-readable formats, which tools parse.
func TestValidateFormatsGolden(t *testing.T) {
	for _, format := range []string{"json", "github"} {
		t.Run(format, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run([]string{"validate", "--format", format, "testdata/invalid/rules.yaml", "testdata/invalid/nodata.yaml"}, &stdout, &stderr)
			if code != ExitInvalid {
				t.Errorf("exit %d, want %d; stderr: %s", code, ExitInvalid, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("machine formats write only to stdout; stderr: %s", stderr.String())
			}
			compareGolden(t, "testdata/formats/validate."+format, stdout.String())
		})
	}
}

func specArgs(t *testing.T, file string) []string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(src), "\n")
	if rest, ok := strings.CutPrefix(first, "# args:"); ok {
		return strings.Fields(rest)
	}
	return nil
}

func compareGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test ./cli -run %s -update to accept):\n--- got ---\n%s\n--- want ---\n%s",
			golden, t.Name(), got, want)
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+i))) }
