package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

// defaultMinLift is the relative lift measure warns it cannot detect when the groups are too small.
const defaultMinLift = 0.10

// runMeasure is segrun measure AUDIENCE --outcome NAME [--run N] [--window 30d] SPEC: an audience
// version's treatment against its control group on an outcome the spec declares (runner/measure.go).
func runMeasure(ctx context.Context, e *env, args []string) int {
	fs := newFlags("measure", "AUDIENCE SPEC")
	outcome := fs.String("outcome", "", "the spec's outcome `NAME` to measure (outcomes:)")
	fs.required["outcome"] = true
	run := fs.Int64("run", 0, "the audience's version `N` (default: the latest that has it)")
	fs.check("run", func() error {
		if *run < 1 {
			return errors.New("versions are numbered from 1 (segrun runs lists them); leave --run out for the latest")
		}
		return nil
	})
	window := fs.String("window", "30d", "the window after the version's as-of date, in days (`Nd`, 1d to 3650d)")
	var days int
	fs.check("window", func() (err error) { days, err = parseWindow(*window); return err })
	minLift := fs.Float64("min-lift", defaultMinLift, "warn when the groups are too small to detect this relative lift (`X`, 0.1: 10%; 0: never)")
	fs.check("min-lift", func() error {
		if math.IsNaN(*minLift) || *minLift < 0 || *minLift > 100 {
			return errors.New("want a relative lift from 0 to 100 (0.1 is 10%)")
		}
		return nil
	})
	format := fs.choice("format", "text", []string{"text", "json"}, "output: text or json")
	storePath := fs.String("store", "", "the versioned store's `PATH` (default: the spec's store)")
	fs.check("store", func() error { return checkStorePath(*storePath) })
	wait := fs.nonNegative("wait", readerWait, "wait this long (a `DURATION`) for a store a run is using; 0 fails at once")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(rest) != 2 || !isSpecFile(rest[1]) {
		return fs.usageError(e, "give the audience and the spec (its outcomes: block defines --outcome): segrun measure AUDIENCE --outcome NAME SPEC")
	}
	if *outcome == "" {
		return fs.usageError(e, "--outcome is required: name one of the outcomes in the spec's outcomes: block")
	}
	if days == 0 {
		days, _ = parseWindow(*window)
	}
	v, err := runner.Validate(ctx, rest[1], runner.ValidateOptions{})
	if err != nil {
		return e.fail(err)
	}
	if !v.Valid() {
		if v.Spec != nil {
			(&spec.Writer{}).WriteText(e.stderr, v.Diagnostics)
		}
		e.errorf("the spec is invalid; nothing was measured")
		return invalidSpecExit(v.Diagnostics)
	}
	path := *storePath
	if path == "" {
		path = v.Spec.StorePath()
	}
	if err := storeExists(path, v.Spec.IsPostgres()); err != nil {
		return e.fail(err)
	}
	m, err := runner.Measure(ctx, v, runner.MeasureOptions{Audience: rest[0], Outcome: *outcome, Run: *run, WindowDays: days,
		MinLift: *minLift, StorePath: path, Wait: *wait, Now: time.Now()})
	var f *runner.Failure
	switch {
	case errors.As(err, &f):
		e.errorf("measure: %v", f)
		return ExitInvalid
	case errors.Is(err, context.Canceled):
		e.errorf("interrupted; nothing was measured")
		return ExitEnvironment
	case err != nil:
		e.errorf("measure: %v", err)
		return ExitEnvironment
	}
	for _, w := range m.Warnings {
		e.errorf("warning: %s", w)
	}
	if *format == "json" {
		return e.writeJSON(m)
	}
	writeMeasurement(e.stdout, m)
	return ExitOK
}

// parseWindow reads a window of days: 30d.
func parseWindow(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if !strings.HasSuffix(s, "d") || err != nil || n < 1 || n > 3650 {
		return 0, errors.New("want a number of days from 1 to 3650, like 30d")
	}
	return n, nil
}

// storeExists says where a store was looked for when it is not there (exit 3, as for the store readers).
// A store on PostgreSQL is measured for a spec on engine postgres (onPostgres) only.
func storeExists(path string, onPostgres bool) error {
	if _, pg := store.PostgresSchema(path); pg {
		if !onPostgres {
			return runner.PostgresStoreNeedsPostgresSpec(path)
		}
		return nil // runner.Measure opens it, and says when the schema holds no store
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w at %s (the spec's store, or --store); a store exists once a run has published to it", store.ErrNoStore, path)
	}
	return nil
}

// writeMeasurement prints a measurement: the window, then one row per comparison, overall first.
func writeMeasurement(w io.Writer, m *store.Measurement) {
	what := "conversion rate (share of members with an event)"
	if m.Metric == spec.MetricRevenue {
		what = "revenue per member"
	}
	fmt.Fprintf(w, "%s, version %d (as of %s): outcome %s, %s, in %d days from %s to %s (%s events; %s members with one)\n",
		m.Audience, m.Run, m.AsOf.Format(time.DateOnly), m.Outcome, what, m.WindowDays, m.WindowStart.Format(time.DateOnly),
		m.WindowEnd.AddDate(0, 0, -1).Format(time.DateOnly), thousands(m.Events), thousands(m.MembersWithEvents))
	stat := "rate"
	if m.Metric == spec.MetricRevenue {
		stat = "mean"
	}
	rows := [][]string{{"group", "treated", "held out", stat + ", treated", stat + ", held out", "lift", "95% CI", "relative", "95% CI", "p-value", "Holm p"}}
	row := func(label string, g store.MeasuredGroup) {
		r := []string{label, thousands(int64(g.Treatment.N)), thousands(int64(g.Control.N)), metricText(m.Metric, g.Treatment.Metric), metricText(m.Metric, g.Control.Metric)}
		if g.Lift == nil {
			r = append(r, "-", g.Note, "", "", "", "")
		} else {
			l := g.Lift
			r = append(r, liftText(m.Metric, l.Absolute.Value), "["+liftText(m.Metric, l.Absolute.Low)+", "+liftText(m.Metric, l.Absolute.High)+"]")
			if l.Relative != nil {
				r = append(r, pctText(l.Relative.Value), "["+pctText(l.Relative.Low)+", "+pctText(l.Relative.High)+"]")
			} else {
				r = append(r, "-", "")
			}
			r = append(r, pValueText(l.PValue))
			if g.PValueHolm != nil {
				r = append(r, pValueText(*g.PValueHolm))
			} else {
				r = append(r, "") // overall: one test, nothing to adjust
			}
		}
		rows = append(rows, r)
	}
	row("(all)", m.Overall)
	for _, g := range m.Segments {
		row(g.Segmentation+": "+g.Segment, g)
	}
	writeTable(w, rows)
	warned := map[string]bool{}
	for _, g := range append([]store.MeasuredGroup{m.Overall}, m.Segments...) {
		if g.Lift == nil {
			continue
		}
		label := "(all)"
		if g.Segment != "" {
			label = g.Segmentation + ": " + g.Segment
		}
		for _, wn := range g.Lift.Warnings {
			if label == "(all)" || !warned[wn] {
				fmt.Fprintf(w, "warning: %s: %s\n", label, wn)
			}
			warned[wn] = true
		}
	}
	switch l := m.Overall.Lift; {
	case l == nil:
	case l.MDE == 0:
		// 0 is the held-out group's missing variance, not a test that sees every lift.
		fmt.Fprintf(w, "smallest lift these groups detect: unknown (the held-out group's values do not vary)\n")
	case l.Control.Metric == 0:
		fmt.Fprintf(w, "smallest lift these groups detect (95%% confidence, 80%% power): %s\n", liftText(m.Metric, l.MDE))
	default:
		fmt.Fprintf(w, "smallest lift these groups detect (95%% confidence, 80%% power): %s (%s)\n",
			liftText(m.Metric, l.MDE), pctText(l.MDERelative))
	}
}

func metricText(metric string, v float64) string {
	if metric == spec.MetricRevenue {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

// liftText is an absolute lift: percentage points for a rate, currency units for revenue.
func liftText(metric string, v float64) string {
	if metric == spec.MetricRevenue {
		return fmt.Sprintf("%+.2f", v)
	}
	return fmt.Sprintf("%+.2f pp", 100*v)
}

func pctText(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }

func pValueText(p float64) string {
	if p < 0.0001 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}
