package spec

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// Formats lists the output formats of diagnostics.
var Formats = []string{"text", "json", "github"}

// Report is the JSON shape of `segrun validate --format json`, documented in docs/cli.md and stable:
// fields are only ever added.
type Report struct {
	Valid       bool        `json:"valid"`
	Errors      int         `json:"errors"`
	Warnings    int         `json:"warnings"`
	Files       []string    `json:"files"`
	Diagnostics Diagnostics `json:"diagnostics"`
	// Skipped lists checks that could not run (without data, say) and why.
	Skipped []string `json:"skipped"`
}

// Writer prints diagnostics in one of Formats. It reads the files the diagnostics point into to show the
// offending line, and caches them.
type Writer struct {
	Format string
	files  map[string][]string
}

// WriteText prints `file:line:col: severity: message`, then the line with a caret under the column.
func (w *Writer) WriteText(out io.Writer, ds Diagnostics) {
	for _, d := range ds {
		fmt.Fprintf(out, "%s:%d:%d: %s: %s\n", d.File, d.Line, d.Column, d.Severity, d.Message)
		line := w.line(d.File, d.Line)
		if strings.TrimSpace(line) == "" {
			continue
		}
		gutter := fmt.Sprintf("%5d | ", d.Line)
		fmt.Fprintf(out, "%s%s\n", gutter, expandTabs(line))
		col := max(d.Column, 1)
		fmt.Fprintf(out, "%s| %s^\n", strings.Repeat(" ", len(gutter)-2), strings.Repeat(" ", displayWidth(line, col-1)))
	}
}

// WriteGitHub prints workflow commands, so that GitHub Actions shows each problem on the pull request's
// line: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
func (w *Writer) WriteGitHub(out io.Writer, ds Diagnostics) {
	for _, d := range ds {
		level := "error"
		if d.Severity == Warning {
			level = "warning"
		}
		fmt.Fprintf(out, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", level, escapeProperty(d.File), d.Line,
			d.Column, escapeProperty("segrun "+d.Code), escapeData(d.Message))
	}
}

// WriteJSON prints the Report.
func WriteJSON(out io.Writer, r Report) error {
	if r.Diagnostics == nil {
		r.Diagnostics = Diagnostics{}
	}
	if r.Skipped == nil {
		r.Skipped = []string{}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (w *Writer) line(file string, n int) string {
	if w.files == nil {
		w.files = map[string][]string{}
	}
	lines, ok := w.files[file]
	if !ok {
		if src, err := os.ReadFile(file); err == nil {
			lines = strings.Split(string(src), "\n")
		}
		w.files[file] = lines
	}
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimSuffix(lines[n-1], "\r")
}

// Remember gives the writer a file's text directly, for documents that were not read from disk.
func (w *Writer) Remember(file string, src []byte) {
	if w.files == nil {
		w.files = map[string][]string{}
	}
	w.files[file] = strings.Split(string(src), "\n")
}

func expandTabs(s string) string { return strings.ReplaceAll(s, "\t", "    ") }

// displayWidth is how many columns the first n characters of line take once tabs are expanded, so the
// caret lines up.
func displayWidth(line string, n int) int {
	w := 0
	for i, r := range []rune(line) {
		if i >= n {
			break
		}
		if r == '\t' {
			w += 4
		} else {
			w++
		}
	}
	return w
}

func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
