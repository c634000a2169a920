package cli

import (
	"context"
	"fmt"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
)

func runValidate(ctx context.Context, e *env, args []string) int {
	fs := newFlags("validate", "SPEC...")
	noData := fs.Bool("no-data", false, "validate without reading data files: declared columns stand in for them, and what needs data is skipped and listed")
	format := fs.choice("format", "text", spec.Formats, "output: text (file:line:col on stderr), json (a report on stdout) or github (workflow annotations on stdout)")
	files, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(files) == 0 {
		return fs.usageError(e, "no spec given")
	}
	report := spec.Report{Files: files}
	for _, f := range files {
		v, err := runner.Validate(ctx, f, runner.ValidateOptions{NoData: *noData})
		if err != nil {
			return e.fail(err)
		}
		report.Diagnostics = append(report.Diagnostics, v.Diagnostics...)
		for _, s := range v.Skipped {
			report.Skipped = append(report.Skipped, f+": "+s)
		}
	}
	report.Errors, report.Warnings = report.Diagnostics.Count()
	report.Valid = report.Errors == 0
	w := &spec.Writer{Format: *format}
	switch *format {
	case "json":
		if err := spec.WriteJSON(e.stdout, report); err != nil {
			return e.fail(err)
		}
	case "github":
		w.WriteGitHub(e.stdout, report.Diagnostics)
		for _, s := range report.Skipped {
			fmt.Fprintf(e.stdout, "::notice title=segrun validate::skipped: %s\n", s)
		}
	default:
		w.WriteText(e.stderr, report.Diagnostics)
		for _, s := range report.Skipped {
			fmt.Fprintf(e.stderr, "note: skipped: %s\n", s)
		}
		fmt.Fprintln(e.stderr, summaryLine(report))
	}
	if !report.Valid {
		return invalidSpecExit(report.Diagnostics)
	}
	return ExitOK
}

// invalidSpecExit is the exit code of a spec with errors: 1, unless a file it names cannot be read,
// which is the environment's failure (3): the same spec may pass once the file is readable.
func invalidSpecExit(diags spec.Diagnostics) int {
	for _, d := range diags {
		if d.Severity == spec.Error && d.Code == spec.CodeUnreadable {
			return ExitEnvironment
		}
	}
	return ExitInvalid
}

func summaryLine(r spec.Report) string {
	what := "spec"
	if len(r.Files) > 1 {
		what = fmt.Sprintf("%d specs", len(r.Files))
	}
	if r.Valid {
		return fmt.Sprintf("%s valid (%d %s)", what, r.Warnings, plural.Form(int64(r.Warnings), "warning", "warnings"))
	}
	return fmt.Sprintf("%s invalid: %d %s, %d %s", what, r.Errors, plural.Form(int64(r.Errors), "error", "errors"),
		r.Warnings, plural.Form(int64(r.Warnings), "warning", "warnings"))
}
