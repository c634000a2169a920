package cli

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"

	"github.com/segrun/segrun/internal/definitions"
	"github.com/segrun/segrun/internal/report"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/store"
)

// runReport writes the store's segmentations as one self-contained HTML page of charts.
func runReport(ctx context.Context, e *env, args []string) int {
	fs := newFlags("report", "[SPEC]")
	sf := addStoreFlags(fs, false)
	out := fs.String("out", "report.html", "the HTML file to write (`PATH`)")
	fs.check("out", func() error { return checkFilePath(*out) })
	var names listFlag
	fs.Var(&names, "segmentation", "report only this segmentation (`NAME`; repeatable; default: every one)")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	_, db, st, code, ok := sf.open(ctx, e, fs, rest, 0, "report takes no arguments but the spec (name segmentations with --segmentation)")
	if !ok {
		return code
	}
	defer db.Close()
	rep, err := report.Load(ctx, st, report.Options{Segmentations: names})
	var unknown *report.UnknownSegmentationError
	switch {
	case errors.Is(err, report.ErrNoVersion):
		return e.fail(userErrorf("store %s has no published version yet", st.Path))
	case errors.As(err, &unknown):
		return e.fail(userErrorf("--segmentation %s: the latest version has no segmentation %q%s", unknown.Name, unknown.Name, suggestIn(unknown.Name, unknown.Have)))
	case err != nil:
		return e.fail(err)
	}
	withKPIs := map[string]bool{} // the sections showing a segmentation's KPIs
	for _, sg := range rep.Segmentations {
		withKPIs[sg.Name] = sg.KPIs != nil
	}
	if rep.Definitions, err = reportDefinitions(ctx, e, *sf.spec, st.Path, st, withKPIs); err != nil {
		return e.fail(err)
	}
	if err := writeReport(*out, rep); err != nil {
		return e.fail(fmt.Errorf("writing %s: %w", *out, err))
	}
	fmt.Fprintf(e.stdout, "wrote %s (version %d as of %s, %d segmentation%s)\n", *out, rep.Latest.Run, rep.Latest.AsOf.Format("2006-01-02"),
		len(rep.Segmentations), map[bool]string{true: "", false: "s"}[len(rep.Segmentations) == 1])
	return ExitOK
}

// reportDefinitions builds the definition document (segrun docs) for the report's Definitions section:
// from the spec, when one is given and valid (descriptions, owners and action plans are the spec's), else
// from the store alone. A spec that does not validate is said on stderr, not fatal: the report is of the
// store.
func reportDefinitions(ctx context.Context, e *env, specPath, storePath string, st *store.Store, withKPIs map[string]bool) (*report.DefinitionSection, error) {
	src := definitions.Source{Store: st, StorePath: storePath}
	if specPath != "" {
		v, err := runner.Validate(ctx, specPath, runner.ValidateOptions{NoData: true})
		switch {
		case err != nil:
			fmt.Fprintf(e.stderr, "segrun report: the definitions are the store's: the spec could not be validated: %v\n", err)
		case !v.Valid():
			fmt.Fprintf(e.stderr, "segrun report: the definitions are the store's: %s does not validate (segrun validate says why)\n", specPath)
		default:
			src.Validation = v
		}
	}
	doc, err := definitions.Build(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("building the definitions: %w", err)
	}
	// The report shows each segmentation's KPIs in its own section (charts, every version): the document
	// links there rather than showing them a second time (a segmentation --segmentation left out keeps
	// its table).
	for i := range doc.Segmentations {
		if len(doc.Segmentations[i].KPIs) > 0 && withKPIs[doc.Segmentations[i].Name] {
			doc.Segmentations[i].KPIs, doc.Segmentations[i].KPIsElsewhere = nil, doc.Segmentations[i].Name
		}
	}
	var b strings.Builder
	if err := definitions.HTMLFragment(&b, doc); err != nil {
		return nil, err
	}
	// The fragment was rendered by html/template, which escaped the spec's text.
	return &report.DefinitionSection{HTML: template.HTML(b.String()), CSS: template.CSS(definitions.Stylesheet())}, nil
}

// writeReport writes the page beside its destination and renames it into place, so a reader never opens
// half a page and a failed render leaves the previous report as it was.
func writeReport(path string, rep *report.Report) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil { // CreateTemp's 0600 would hide the page from the people it is for
		f.Close()
		return err
	}
	if err := report.Render(f, rep); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// listFlag collects a repeatable flag's values in order.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("want a name")
	}
	*l = append(*l, s)
	return nil
}

func (l *listFlag) repeatable() {}
