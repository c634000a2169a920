package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withChangesExport adds a second export to the starter spec, after its out/lifecycle.csv.
func withChangesExport(t *testing.T, spec string) {
	t.Helper()
	src, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	text := string(src) + "  - {segmentation: lifecycle, path: out/changes.jsonl, changes: true}\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A version published whose exports fail exits 4, not 3: the summary is printed, every export is
// attempted, and the message says the version is published and how to write what failed. A scheduler's
// retry with the same run key writes it and exits 0.
func TestPublishedButExportsFailedExitsFour(t *testing.T) {
	dir, spec, _ := pipelineDir(t)
	withChangesExport(t, spec)
	blocked := filepath.Join(dir, "out", "lifecycle.csv")
	if err := os.MkdirAll(filepath.Join(blocked, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", spec, "--as-of", "2024-06-30", "--run-key", "2024-06-30"}
	stdout, stderr, code := run(t, args...)
	if code != ExitExports {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitExports, stdout, stderr)
	}
	if !strings.Contains(stdout, "published version 1") || !strings.Contains(stdout, "exported "+filepath.Join(dir, "out", "changes.jsonl")) {
		t.Errorf("the summary lacks the version or the export that worked:\n%s", stdout)
	}
	for _, want := range []string{"version 1 is published, but 1 of its exports failed", blocked, "--run-key 2024-06-30",
		"segrun export lifecycle --run 1 --out " + blocked} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "nothing was published") || strings.Contains(stderr, "run failed") {
		t.Errorf("stderr says the run failed:\n%s", stderr)
	}

	// In JSON, the result says what failed.
	if err := os.RemoveAll(filepath.Join(dir, "out", "changes.jsonl")); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = run(t, append(args, "--format", "json")...)
	var res struct {
		Outcome       string `json:"outcome"`
		RunID         int64  `json:"run_id"`
		ExportsFailed []struct {
			Path string `json:"path"`
		} `json:"exports_failed"`
	}
	if code != ExitExports || json.Unmarshal([]byte(stdout), &res) != nil || res.RunID != 1 || len(res.ExportsFailed) != 1 {
		t.Errorf("retry still blocked: exit %d %+v\n%s", code, res, stdout)
	}

	if err := os.RemoveAll(blocked); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = run(t, args...)
	if code != ExitOK || !strings.Contains(stdout, "writing the exports it lacks: out/lifecycle.csv\n") || !strings.Contains(stdout, "exported "+blocked) {
		t.Fatalf("retry: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(blocked); err != nil || !strings.HasPrefix(string(b), "customer_id,segment\n") {
		t.Errorf("the export is not in place: %v", err)
	}
	stdout, _, code = run(t, args...)
	if code != ExitOK || !strings.Contains(stdout, "nothing to do") {
		t.Errorf("second retry: exit %d: %s", code, stdout)
	}
}
