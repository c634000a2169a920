package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// segrun report end to end on the starter spec: two versions, the whole store's page, then one
// segmentation's, each a complete page readable by others (0644), the first version's moves absent.
func TestReportWritesTheStoresPage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"init", "--dir", dir, "shop"},
		{"run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-06-30"},
	} {
		if _, stderr, code := run(t, args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	page := filepath.Join(dir, "report.html")
	stdout, stderr, code := run(t, "report", filepath.Join(dir, "shop.yaml"), "--out", page)
	if code != ExitOK || !strings.HasPrefix(stdout, "wrote "+page+" (version 1 as of 2024-06-30, ") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{"<!DOCTYPE html>", `id="lifecycle-shares"`, `id="lifecycle-sizes"`,
		"this segmentation has one version so far", "</html>"} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(html, `id="lifecycle-flow"`) {
		t.Error("a flow diagram with one version")
	}
	if st, err := os.Stat(page); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("the page's mode: %v, %v", st.Mode(), err)
	}

	if _, stderr, code := run(t, "run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-12-31"); code != ExitOK {
		t.Fatal(stderr)
	}
	stdout, stderr, code = run(t, "report", "--store", filepath.Join(dir, "segrun.duckdb"), "--segmentation", "lifecycle", "--out", page)
	if code != ExitOK || !strings.Contains(stdout, "(version 2 as of 2024-12-31, 1 segmentation)") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	b, _ = os.ReadFile(page)
	html = string(b)
	if !strings.Contains(html, `id="lifecycle-flow"`) || !strings.Contains(html, `id="lifecycle-matrix"`) {
		t.Error("the second version's page has no moves")
	}
	if strings.Count(html, `class="segmentation"`) != 1 {
		t.Errorf("--segmentation lifecycle: %d segmentations on the page", strings.Count(html, `class="segmentation"`))
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".report.html.*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// The report shows a segmentation's KPIs once: in its section (charts and the per-version table); the
// embedded definition document links there instead of repeating the table.
func TestReportShowsKPIsOnce(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := run(t, "init", "--dir", dir, "shop"); code != ExitOK {
		t.Fatal(stderr)
	}
	src, err := os.ReadFile(filepath.Join(dir, "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := string(src) + "\nkpis:\n  spend:\n    description: Spend per member.\n    from: rfm\n    value: avg(monetary)\n    format: currency\n"
	if err := os.WriteFile(filepath.Join(dir, "shop.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, asOf := range []string{"2024-06-30", "2024-12-31"} {
		if _, stderr, code := run(t, "run", filepath.Join(dir, "shop.yaml"), "--as-of", asOf); code != ExitOK {
			t.Fatalf("run: %s", stderr)
		}
	}
	page := filepath.Join(dir, "report.html")
	if _, stderr, code := run(t, "report", filepath.Join(dir, "shop.yaml"), "--out", page); code != ExitOK {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(page)
	html := string(b)
	sections, definitions, ok := strings.Cut(html, `<section id="definitions">`)
	if !ok {
		t.Fatal("the page has no definitions")
	}
	// Three segmentations, a table each in their sections; none in the definitions, which link there.
	if n := strings.Count(sections, "<b>spend</b>"); n != 3 {
		t.Errorf("the segmentations' sections show the KPI %d times, want 3", n)
	}
	if strings.Contains(definitions, "<b>spend</b>") {
		t.Error("the definitions show the KPI's table again")
	}
	if !strings.Contains(definitions, `in <a href="#lifecycle">lifecycle's section</a>`) {
		t.Error("the definitions do not link to the section showing the KPIs")
	}
}
