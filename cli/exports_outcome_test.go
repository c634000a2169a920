package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
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
		"segrun export lifecycle --store " + filepath.Join(dir, "segrun.duckdb") + " --run 1 --out " + blocked} {
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

// storeRows reads a store file opened as its own database, as `duckdb segrun.duckdb` would: every view and
// the macro must work there.
func storeRows(t *testing.T, path, q string) string {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, path, sql.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	_, all, err := sql.ScanAll(rows)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, vals := range all {
		out = append(out, fmt.Sprint(vals...))
	}
	return strings.Join(out, "\n")
}

// A version published with a wrong as-of date (today, say, from an empty --as-of) refuses every run with the
// real date. segrun rollback retires it: the run with the real date then publishes, and the store's
// memberships and change log are those of a store that never saw the wrong version.
func TestRollbackRetiresAWrongLatestVersion(t *testing.T) {
	dir, spec, store := pipelineDir(t)
	for _, asOf := range []string{"2024-06-30", "2025-06-30"} { // the second is the wrong date
		if _, stderr, code := run(t, "run", spec, "--as-of", asOf); code != ExitOK {
			t.Fatalf("run %s: %s", asOf, stderr)
		}
	}
	if _, stderr, code := run(t, "run", spec, "--as-of", "2024-12-31"); code != ExitInvalid || !strings.Contains(stderr, "earlier than the latest version 2") {
		t.Fatalf("the real date: exit %d: %s", code, stderr)
	}

	usage := [][]string{{"rollback", "--store", store}, {"rollback", "--store", store, "--last", "--to", "1"}, {"rollback", store, "--last"}}
	for _, args := range usage {
		if _, _, code := run(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	if _, stderr, code := run(t, "rollback", "--store", store, "--to", "7"); code != ExitInvalid || !strings.Contains(stderr, "no published version 7") {
		t.Errorf("--to 7: exit %d: %s", code, stderr)
	}
	missing := filepath.Join(dir, "nope.duckdb")
	if _, stderr, code := run(t, "rollback", "--store", missing, "--last"); code != ExitEnvironment || !strings.Contains(stderr, "no store at "+missing) {
		t.Errorf("missing store: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("rollback created a store at %s", missing)
	}

	stdout, stderr, code := run(t, "rollback", spec, "--last")
	if code != ExitOK || !strings.Contains(stdout, "rolled back version 2 (as of 2025-06-30)") || !strings.Contains(stdout, "the latest version is now 1") {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, _, _ = run(t, "runs", "--store", store)
	if !strings.Contains(stdout, "rolled back") {
		t.Errorf("runs does not show the rolled-back version:\n%s", stdout)
	}
	if _, stderr, code := run(t, "show", "lifecycle", "--store", store, "--run", "2"); code != ExitInvalid || !strings.Contains(stderr, "version 2 was rolled back") {
		t.Errorf("show of the rolled-back version: exit %d: %s", code, stderr)
	}
	if stdout, stderr, code := run(t, "run", spec, "--as-of", "2024-12-31"); code != ExitOK || !strings.Contains(stdout, "published version 3") ||
		!strings.Contains(stdout, "compared with version 1") {
		t.Fatalf("the real date after the rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A store that never saw the wrong version.
	clean := filepath.Join(dir, "clean.duckdb")
	for _, asOf := range []string{"2024-06-30", "2024-12-31"} {
		if _, stderr, code := run(t, "run", spec, "--as-of", asOf, "--store", clean); code != ExitOK {
			t.Fatalf("clean run %s: %s", asOf, stderr)
		}
	}
	latest := "(SELECT max(run_id) FROM runs WHERE status = 'published')"
	for _, q := range []string{
		"SELECT entity, segmentation, segment FROM current_memberships ORDER BY ALL",
		"SELECT entity, segmentation, segment FROM memberships_as_of(" + latest + ") ORDER BY ALL",
		"SELECT segmentation, entity, segment, event FROM changes WHERE run_id = " + latest + " ORDER BY ALL",
		"SELECT segmentation, entity, from_segment, to_segment FROM moves WHERE run_id = " + latest + " ORDER BY ALL",
		"SELECT entity, segmentation, segment FROM memberships WHERE valid_from_run < " + latest + " ORDER BY ALL",
		"SELECT segmentation, segment, size, entered, exited, stayed FROM segments WHERE run_id = " + latest + " ORDER BY ALL",
	} {
		got, want := storeRows(t, store, q), storeRows(t, clean, q)
		if got != want || want == "" {
			t.Errorf("%s\nafter the rollback:\n%.500s\nnever saw the wrong version:\n%.500s", q, got, want)
		}
	}

	// --to rolls back several versions at once, and --to 0 all of them.
	if stdout, stderr, code := run(t, "rollback", "--store", clean, "--to", "0"); code != ExitOK || !strings.Contains(stdout, "rolled back version 2 (as of 2024-12-31), version 1") {
		t.Errorf("--to 0: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := storeRows(t, clean, "SELECT count(*) FROM memberships"); got != "0" {
		t.Errorf("after rolling back every version, %s memberships", got)
	}
}

// A segmentation removed from the spec is retired by the next version: the summary says so, show says in
// which version, and its members' exits are in that version's change log.
func TestRemovedSegmentationIsRetiredAndShowSaysWhen(t *testing.T) {
	_, spec, store := pipelineDir(t)
	if _, stderr, code := run(t, "run", spec, "--as-of", "2024-06-30"); code != ExitOK {
		t.Fatal(stderr)
	}
	src, _ := os.ReadFile(spec)
	value := "  value:\n    from: rfm\n    rfm: {recency: recency_days, frequency: frequency, monetary: monetary}\n"
	if !strings.Contains(string(src), value) {
		t.Fatal("the starter spec changed")
	}
	os.WriteFile(spec, []byte(strings.Replace(string(src), value, "", 1)), 0o644)
	stdout, stderr, code := run(t, "run", spec, "--as-of", "2024-12-31")
	if code != ExitOK || !strings.Contains(stdout, "value: retired (no longer in the spec): its ") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if _, stderr, code := run(t, "show", "value", "--store", store); code != ExitInvalid ||
		!strings.Contains(stderr, `segmentation "value" was retired in version 2`) || !strings.Contains(stderr, "--run 1 shows it") {
		t.Errorf("show value: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(t, "show", "value", "--store", store, "--run", "1"); code != ExitOK {
		t.Errorf("show value --run 1: exit %d: %s", code, stderr)
	}
	exited := storeRows(t, store, "SELECT count(*) FROM changes WHERE run_id = 2 AND segmentation = 'value' AND event = 'exited'")
	members := storeRows(t, store, "SELECT count(*) FROM memberships_as_of(1) WHERE segmentation = 'value'")
	if exited != members || members == "0" {
		t.Errorf("%s of value's %s members exited in version 2", exited, members)
	}
	// changes shows the retiring version's exits (it was refused, so they were only in the store's view),
	// and show points to it.
	stdout, stderr, code = run(t, "changes", "value", "--store", store, "--run", "2")
	if code != ExitOK || !strings.Contains(stdout, "value, version 2 as of 2024-12-31: retired (no longer in the spec); its "+members+" members exited") {
		t.Errorf("changes value --run 2: exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, _ = run(t, "changes", "value", "--store", store, "--run", "2", "--format", "json")
	var got struct {
		Retired  bool `json:"retired"`
		Segments []struct {
			Exited int64 `json:"exited"`
		} `json:"segments"`
	}
	var sum int64
	if json.Unmarshal([]byte(stdout), &got) == nil {
		for _, s := range got.Segments {
			sum += s.Exited
		}
	}
	if !got.Retired || fmt.Sprint(sum) != members {
		t.Errorf("changes --format json: %s", stdout)
	}
	if _, stderr, _ := run(t, "show", "value", "--store", store); !strings.Contains(stderr, "segrun changes value --run 2 shows its exits") {
		t.Errorf("show value does not point to the exits: %s", stderr)
	}
}

// The recovery command printed after exit 4 read ./segrun.duckdb, not the run's store, and broke on a
// path with a space: run as printed, from the same directory, it writes the export.
func TestExportsRecoveryCommandRunsAsPrinted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my shop")
	stdout, stderr, code := run(t, "init", "--dir", dir, "shop")
	if code != ExitOK || !strings.Contains(stdout, "next: segrun validate '"+filepath.Join(dir, "shop.yaml")+"'\n") {
		t.Fatalf("init: exit %d, the next command is not quoted:\n%s%s", code, stdout, stderr)
	}
	blocked := filepath.Join(dir, "out", "lifecycle.csv")
	if err := os.MkdirAll(filepath.Join(blocked, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(t, "run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-06-30")
	if code != ExitExports {
		t.Fatalf("exit %d, want %d\n%s", code, ExitExports, stderr)
	}
	var command []string
	for _, line := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(line, "  segrun export "); ok {
			command = append([]string{"export"}, shellWords(t, rest)...)
		}
	}
	if command == nil {
		t.Fatalf("no recovery command:\n%s", stderr)
	}
	if err := os.RemoveAll(blocked); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := run(t, command...); code != ExitOK {
		t.Fatalf("%q: exit %d\n%s", command, code, stderr)
	}
	if b, err := os.ReadFile(blocked); err != nil || !strings.HasPrefix(string(b), "customer_id,segment\n") {
		t.Errorf("the export is not in place: %v", err)
	}
}

// shellWords splits a command line as a POSIX shell would, for the quoting segrun writes (shell.Quote):
// words separated by spaces, single-quoted parts, and backslash escapes.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(line):
			i++
			w.WriteByte(line[i])
			inWord = true
		case c == ' ':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
