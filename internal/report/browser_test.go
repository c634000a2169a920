package report_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/segrun/segrun/cli"
)

// chromium is Debian's headless-capable Chromium; .ci/run installs it.
const chromium = "/usr/bin/chromium"

// needChromium returns the browser's path, skipping the test when it is missing outside CI; in CI
// (CI=true) a missing browser fails the test, so the check cannot silently stop running.
func needChromium(t *testing.T) string {
	t.Helper()
	path := chromium
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not installed (%s); .ci/run installs it with apt-get", chromium)
		} else {
			t.Skipf("chromium is not installed (%s); apt-get install chromium to run the browser test (CI does)", chromium)
		}
	}
	return path
}

// segrun runs the command line in-process and fails the test on a non-zero exit.
func segrun(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := cli.Run(args, &out, &errOut); code != 0 {
		t.Fatalf("segrun %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return out.String()
}

// flagshipReport writes the flagship demo's report: its data, two versions, then segrun report.
func flagshipReport(t *testing.T, dir string) string {
	t.Helper()
	segrun(t, "demo", dir)
	spec := filepath.Join(dir, "retail.yaml")
	segrun(t, "run", spec, "--as-of", "2024-09-30")
	segrun(t, "run", spec, "--as-of", "2024-12-31")
	segrun(t, "measure", "winback_email", "--outcome", "conversions", spec) // as make demo does: the lift section
	page := filepath.Join(dir, "report.html")
	segrun(t, "report", spec, "--out", page)
	return page
}

// TestReportInChromium opens the flagship demo's report in headless Chromium from a file:// URL: no
// console errors or exceptions, no request but the page itself (nothing fetched: scripts, styles, fonts),
// every expected chart present as a figure holding a titled, non-empty SVG (or the matrix table), and the
// segments named in the text. It writes a screenshot: $SEGRUN_REPORT_SCREENSHOT, or the test's temporary
// directory. $SEGRUN_REPORT_HTML tests that page instead of a fresh demo's: docs/img/report.png is
//
//	make demo && SEGRUN_REPORT_HTML=$PWD/.demo/report.html SEGRUN_REPORT_SCREENSHOT=$PWD/docs/img/report.png \
//	    go test -tags duckdb_arrow -run TestReportInChromium ./internal/report
func TestReportInChromium(t *testing.T) {
	browser := needChromium(t)
	var err error
	if testing.Short() {
		t.Skip("-short: the browser test runs the demo and a browser")
	}
	page := os.Getenv("SEGRUN_REPORT_HTML") // an absolute path: go test runs in the package directory
	if page == "" {
		page = flagshipReport(t, t.TempDir())
	} else if page, err = filepath.Abs(page); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: page}).String()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 1400),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()

	// Every event of the tab from its start: requests, console calls, exceptions, log entries.
	var mu sync.Mutex
	var requests, problems []string
	listen := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s: %s %s", e.Entry.Level, e.Entry.Text, e.Entry.URL))
			}
		}
	}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(listen))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	type figure struct {
		ID, Kind, Title string
		SVGChildren     int
		Rows            int
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil { // starts the tab
		t.Fatal(err)
	}
	for _, enable := range []func() error{
		func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err },
		func() error { _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); return err },
	} {
		if err := enable(); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	figures, err := chromedp.Run(ctx, chromedp.Evaluate[[]figure](`[...document.querySelectorAll("figure")].map(f => {
		const svg = f.querySelector("svg"), title = svg ? svg.querySelector("title") : f.querySelector("caption");
		return {ID: f.id, Kind: f.dataset.chart || "", Title: title ? title.textContent : "",
			SVGChildren: svg ? svg.querySelectorAll("path, rect, circle, line, text").length : 0,
			Rows: f.querySelectorAll("tbody tr").length};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil {
		t.Fatal(err)
	}
	// In print media: no navigation, and each segmentation after the first starts a new page.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector("nav")).display,
		...[...document.querySelectorAll("section.segmentation h2")].slice(1).map(h => getComputedStyle(h).breakBefore)]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(printed) < 3 || printed[0] != "none" || slices.ContainsFunc(printed[1:], func(b string) bool { return b != "page" }) {
		t.Errorf("printed, the navigation's display and the headings' break-before are %q, want none and page", printed)
	}
	// A moment for late console messages of the load to arrive.
	time.Sleep(200 * time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("the page logged: %s", p)
	}
	for _, r := range requests {
		if r != pageURL {
			t.Errorf("the page requested %s: it must fetch nothing", r)
		}
	}
	if len(requests) == 0 {
		t.Error("no request seen at all: the network listener is not working, so the check above proves nothing")
	}

	want := map[string]string{
		"lifecycle-shares": "bar", "lifecycle-sizes": "line", "lifecycle-flow": "flow", "lifecycle-matrix": "matrix",
		"value-shares": "bar", "value-sizes": "line", "value-flow": "flow", "value-matrix": "matrix",
		"behaviour-shares": "bar", "behaviour-sizes": "line", "behaviour-flow": "flow", "behaviour-matrix": "matrix",
		"behaviour-lift": "heatmap", "behaviour-projection": "scatter", "behaviour-quality": "line",
		"lifecycle-kpi-retention_90d": "line", "lifecycle-kpi-revenue_90d": "line", "value-kpi-retention_90d": "line",
		"winback_email-shares": "bar",
	}
	got := map[string]figure{}
	for _, f := range figures {
		got[f.ID] = f
	}
	for id, kind := range want {
		f, ok := got[id]
		switch {
		case !ok:
			t.Errorf("chart %s is missing (the page has %d figures)", id, len(figures))
		case f.Kind != kind:
			t.Errorf("chart %s is a %q, want a %q", id, f.Kind, kind)
		case strings.TrimSpace(f.Title) == "":
			t.Errorf("chart %s has no title", id)
		case kind == "matrix" && f.Rows == 0:
			t.Errorf("matrix %s has no rows", id)
		case kind != "matrix" && f.SVGChildren < 5:
			t.Errorf("chart %s's SVG is (nearly) empty: %d elements", id, f.SVGChildren)
		}
	}
	// The KPI tables (percent and currency formatted), the lifecycle's audits (the flagship warns on a
	// KPI's change), an audience's holdout, and the definition document.
	for _, name := range []string{"champions", "at_risk", "lapsed", "regulars", "hibernating", "Data tests of the latest run",
		"KPIs by segment", "everyone (population)", "latest vs everyone", "Audits of version", "failed: warned, published",
		"kpi.max_change", "holdout share", "to contact (treatment)", "Segment definitions: retail_segments", "Thank them", "43.1%"} {
		if !strings.Contains(text, name) {
			t.Errorf("the page's text does not mention %q", name)
		}
	}
	// Printed (@media print), each segmentation and the data tests start a page of their own.
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	if len(pages) < 4 {
		t.Errorf("the printed page has %d pages, want at least 4 (a page per segmentation and the data tests)", len(pages))
	}
	t.Logf("printed: %d pages", len(pages))
	// The first screen for the docs; the whole page beside it, for a look at every chart.
	out := os.Getenv("SEGRUN_REPORT_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "report.png")
	}
	fullOut := strings.TrimSuffix(out, ".png") + "-full.png"
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fullOut, full, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SEGRUN_REPORT_SCREENSHOT") == "" { // the printed page, to look at; not for the docs
		if err := os.WriteFile(strings.TrimSuffix(out, ".png")+".pdf", pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s, %s", out, fullOut)
}
