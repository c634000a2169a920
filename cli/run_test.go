package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner"
)

// pipelineDir is a pipeline made by segrun init, published as of two dates.
func pipelineDir(t *testing.T) (dir, spec, store string) {
	t.Helper()
	dir = t.TempDir()
	if _, stderr, code := run(t, "init", "--dir", dir, "shop"); code != ExitOK {
		t.Fatalf("init: %s", stderr)
	}
	return dir, filepath.Join(dir, "shop.yaml"), filepath.Join(dir, "segrun.duckdb")
}

func TestRunAndReadTheStore(t *testing.T) {
	dir, spec, store := pipelineDir(t)
	stdout, stderr, code := run(t, "run", spec, "--as-of", "2024-06-30")
	if code != ExitOK || !strings.Contains(stdout, "published version 1") || !strings.Contains(stdout, "everyone entered") {
		t.Fatalf("first run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"lifecycle (rules)", "value (rfm)", "behaviour (cluster:kmeans)", "validity: silhouette", "steps:",
		"profiles (mean ± standard deviation", "source orders  5,357 rows  read by rfm"} { // the starter's orders stream into rfm
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = run(t, "run", spec, "--as-of", "2024-12-31", "--run-key", "2024-12-31", "--format", "json")
	var res struct {
		Outcome string `json:"outcome"`
		RunID   int64  `json:"run_id"`
		BaseRun int64  `json:"base_run"`
	}
	if code != ExitOK || json.Unmarshal([]byte(stdout), &res) != nil || res.Outcome != "published" || res.RunID != 2 || res.BaseRun != 1 {
		t.Fatalf("second run: exit %d %+v\n%s", code, res, stdout)
	}
	stdout, _, code = run(t, "run", spec, "--as-of", "2024-12-31", "--run-key", "2024-12-31")
	if code != ExitOK || !strings.Contains(stdout, "already published as version 2") {
		t.Errorf("retry: exit %d: %s", code, stdout)
	}
	stdout, _, code = run(t, "run", spec, "--as-of", "2025-01-31", "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "nothing was published") {
		t.Errorf("dry run: exit %d: %s", code, stdout)
	}

	stdout, _, code = run(t, "runs", "--store", store, "--format", "csv")
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); code != ExitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "run_id,status,as_of") {
		t.Errorf("runs csv: exit %d:\n%s", code, stdout)
	}
	stdout, _, code = run(t, "show", "lifecycle", "--store", store, "--run", "1", "--format", "json")
	var shown struct {
		RunID    int64 `json:"run_id"`
		Segments []struct {
			Segment string `json:"segment"`
			Size    int64  `json:"size"`
		} `json:"segments"`
	}
	if code != ExitOK || json.Unmarshal([]byte(stdout), &shown) != nil || shown.RunID != 1 || len(shown.Segments) == 0 {
		t.Errorf("show json: exit %d: %s", code, stdout)
	}
	// In text, a clustering's version shows what its run printed of it: validity, profiles, the tree's rules.
	stdout, _, code = run(t, "show", "behaviour", "--store", store)
	for _, want := range []string{"validity: silhouette", "stability: adjusted Rand index", "profiles (mean ± standard deviation", "why (a depth-3 tree's rules"} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("show behaviour lacks %q: exit %d:\n%s", want, code, stdout)
		}
	}
	stdout, _, code = run(t, "changes", "lifecycle", "--store", store)
	if code != ExitOK || !strings.Contains(stdout, "transitions (rows: from, columns: to") {
		t.Errorf("changes: exit %d: %s", code, stdout)
	}
	for _, ext := range []string{".csv", ".parquet", ".jsonl"} {
		out := filepath.Join(dir, "out", "m"+ext)
		if _, stderr, code := run(t, "export", "lifecycle", "--store", store, "--out", out, "--changes"); code != ExitOK {
			t.Errorf("export %s: exit %d: %s", ext, code, stderr)
		}
		if st, err := os.Stat(out); err != nil || st.Size() == 0 {
			t.Errorf("export %s: %v", ext, err)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "out", "m.csv"))
	if !strings.HasPrefix(string(csv), "customer_id,segment,event\n") {
		t.Errorf("changes export header: %.60q", csv)
	}
}

func TestRunAndStoreCommandErrors(t *testing.T) {
	dir, spec, store := pipelineDir(t)
	if _, _, code := run(t, "run", spec, "--as-of", "2024-06-30"); code != ExitOK {
		t.Fatal("first run failed")
	}
	bad := filepath.Join(dir, "bad.yaml")
	src, _ := os.ReadFile(spec)
	os.WriteFile(bad, []byte(strings.Replace(string(src), "frequency >= 8", "frequncy >= 8", 1)), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"invalid spec", []string{"run", bad, "--as-of", "2024-07-31", "--store", filepath.Join(dir, "other.duckdb")}, ExitInvalid, `did you mean "frequency"`},
		{"earlier as-of", []string{"run", spec, "--as-of", "2024-01-31"}, ExitInvalid, "earlier than the latest version 1"},
		{"bad date", []string{"run", spec, "--as-of", "31/12/2024"}, ExitUsage, "want a date like 2024-12-31"},
		{"force without key", []string{"run", spec, "--force"}, ExitUsage, "--force replaces the version of a --run-key"},
		{"unknown var", []string{"run", spec, "--as-of", "2024-07-31", "--var", "actve_days=3"}, ExitInvalid, `did you mean "active_days"`},
		{"unknown segmentation", []string{"show", "lifecycel", "--store", store}, ExitInvalid, `did you mean "lifecycle"`},
		{"missing version", []string{"changes", "lifecycle", "--store", store, "--run", "9"}, ExitInvalid, "has no version 9"},
		{"no store", []string{"runs", "--store", filepath.Join(dir, "nope.duckdb")}, ExitEnvironment, "no store at"},
		{"export extension", []string{"export", "lifecycle", "--store", store, "--out", "x.xlsx"}, ExitUsage, ".csv, .parquet or .jsonl"},
		{"bad format", []string{"runs", "--store", store, "--format", "yaml"}, ExitUsage, "want one of text, json, csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout+stderr, tt.msg) {
				t.Errorf("exit %d (want %d); output lacks %q?\nstdout: %s\nstderr: %s", code, tt.code, tt.msg, stdout, stderr)
			}
		})
	}
}

func TestDemoWritesDataAndTheFlagshipSpec(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := run(t, "demo", "--customers", "300", dir)
	if code != ExitOK || !strings.Contains(stdout, "300 customers") {
		t.Fatalf("demo: exit %d: %s %s", code, stdout, stderr)
	}
	if _, stderr, code := run(t, "validate", filepath.Join(dir, "retail.yaml")); code != ExitOK {
		t.Errorf("the demo's spec does not validate: %s", stderr)
	}
}

// A degenerate clustering's validity is said to be unscored, with the reason, rather than printed as
// zeros (a Davies-Bouldin of 0 reads as perfect); imputed counts print in a stable order.
func TestClusterReportSaysWhyValidityIsNotScored(t *testing.T) {
	var out strings.Builder
	writeClusterReport(&out, &runner.ClusterReport{Method: "dbscan", K: 1, Fitted: true,
		Validity: algorithms.Validity{Reason: "fewer than two clusters", Inertia: 12},
		Prep:     &algorithms.PrepReport{Imputed: map[string]int{"y": 1, "x": 2, "w": 3}}})
	for _, want := range []string{"validity: not scored (fewer than two clusters), inertia 12", "imputed: w 3, x 2, y 1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "Davies-Bouldin") {
		t.Errorf("degenerate scores printed:\n%s", out.String())
	}
}

// Every rule of the explaining tree is printed: a cluster can hold several of its leaves.
func TestClusterReportPrintsEveryRule(t *testing.T) {
	var out strings.Builder
	writeClusterReport(&out, &runner.ClusterReport{Method: "kmeans", K: 1, Fidelity: 0.9, Profiles: []runner.ClusterProfile{{
		Segment: "cluster_0", Rules: []algorithms.LeafRule{{Rule: "x <= 1", Support: 5, Precision: 1}, {Rule: "x > 9", Support: 3, Precision: 0.5}}}}})
	for _, want := range []string{"cluster_0: x <= 1 (5 rows, 100% of them in it)", "cluster_0: x > 9 (3 rows, 50% of them in it)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// A data test of severity warn lets the run publish; its warning is kept with the run, where `runs --format
// json` shows it, not only printed by the run that met it.
func TestWarningsAreKeptWithTheRun(t *testing.T) {
	_, spec, _ := pipelineDir(t)
	src, err := os.ReadFile(spec)
	if err != nil || !strings.Contains(string(src), "- unique: customer_id") {
		t.Fatalf("the starter spec changed (%v)", err)
	}
	warned := strings.Replace(string(src), "- unique: customer_id", "- {unique: frequency, severity: warn}", 1)
	if err := os.WriteFile(spec, []byte(warned), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, "run", spec, "--as-of", "2024-06-30"); code != ExitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	stdout, stderr, code := run(t, "runs", spec, "--format", "json")
	if code != ExitOK {
		t.Fatalf("runs: exit %d: %s", code, stderr)
	}
	var runs []struct {
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || len(runs) != 1 {
		t.Fatalf("runs --format json: %v\n%s", err, stdout)
	}
	if len(runs[0].Warnings) != 1 || !strings.Contains(runs[0].Warnings[0], "frequency") {
		t.Errorf("stored warnings %q, want the unique: frequency test's", runs[0].Warnings)
	}
}
