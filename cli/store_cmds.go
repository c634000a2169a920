package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/segrun/segrun/internal/plural"
	"github.com/segrun/segrun/internal/shell"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/store"
)

// formatFlag is the output format of the commands that print what a store holds.
func formatFlag(fs *flagSet) *string {
	return fs.choice("format", "text", []string{"text", "json", "csv"}, "output: text, json or csv")
}

// resolveRun picks the version to read: --run (0: not given), or the latest published.
func resolveRun(ctx context.Context, st *store.Store, run int64) (*store.Run, error) {
	if run == 0 {
		r, err := st.LatestRun(ctx)
		if err == nil && r == nil {
			err = userErrorf("store %s has no published version yet", st.Path)
		}
		return r, err
	}
	r, err := st.RunByID(ctx, run)
	if err == nil && r == nil {
		err = userErrorf("store %s has no version %d; %s", st.Path, run, publishedVersions(ctx, st))
	}
	if err == nil && r.Status != store.StatusPublished {
		err = userErrorf("version %d was %s", run, r.Status)
		if r.ReplacedBy != nil {
			err = userErrorf("version %d was replaced by version %d", run, *r.ReplacedBy)
		}
	}
	return r, err
}

// publishedVersions says which versions a store has, for a message about one it does not.
func publishedVersions(ctx context.Context, st *store.Store) string {
	runs, err := st.Runs(ctx)
	if err != nil {
		return "segrun runs lists them"
	}
	var ids []string
	for _, r := range runs {
		if r.Status == store.StatusPublished {
			ids = append(ids, strconv.FormatInt(r.ID, 10))
		}
	}
	switch {
	case len(ids) == 0:
		return "it has no published version yet"
	case len(ids) > 20:
		return fmt.Sprintf("it has %d versions, %s to %s (segrun runs lists them)", len(ids), ids[0], ids[len(ids)-1])
	}
	return "it has " + strings.Join(ids, ", ")
}

// version is one segmentation of one published version, opened for reading.
type version struct {
	db    io.Closer
	store *store.Store
	run   *store.Run
	info  *store.VersionInfo
	stats []store.SegmentStat
	// retired says the version retired the segmentation (it has no record of it): stats are the exits
	// its retirement made. Only changes asks for such a version (openVersion's retiring).
	retired bool
}

// openVersion opens the store and reads a segmentation's record in the version --run names (the latest by
// default), with a suggestion when the name is wrong.
func (e *env) openVersion(ctx context.Context, sf *storeFlags, name string, retiring bool) (*version, error) {
	path, err := sf.locate()
	if err != nil {
		return nil, err
	}
	db, st, err := e.openReader(ctx, path, *sf.wait)
	if err != nil {
		return nil, err
	}
	v := &version{db: db, store: st}
	fail := func(err error) (*version, error) { db.Close(); return nil, err }
	if v.run, err = resolveRun(ctx, st, *sf.run); err != nil {
		return fail(err)
	}
	if v.info, err = st.Version(ctx, v.run.ID, name); err != nil {
		return fail(err)
	}
	if v.info == nil {
		if last, retiredIn, err := st.Retirement(ctx, name); err == nil && retiredIn != 0 && retiredIn <= v.run.ID {
			if retiring && retiredIn == v.run.ID {
				v.retired = true
				if v.stats, err = st.RetiredExits(ctx, v.run.ID, name); err != nil {
					return fail(err)
				}
				return v, nil
			}
			return fail(userErrorf("segmentation %q was retired in version %d (removed from the spec; its members exited then: segrun changes %s --run %d shows its exits); its last version is %d: --run %d shows it",
				name, retiredIn, shell.Quote(name), retiredIn, last, last))
		}
		segs, _ := st.Segmentations(ctx, v.run.ID)
		return fail(userErrorf("version %d has no segmentation %q%s", v.run.ID, name, suggestIn(name, segs)))
	}
	if v.stats, err = st.SegmentStats(ctx, v.run.ID, name); err != nil {
		return fail(err)
	}
	return v, nil
}

// openVersionCommand parses the arguments of a command reading one segmentation of one version (show,
// changes) and opens it; on failure it returns a nil version and the exit code.
func openVersionCommand(ctx context.Context, e *env, name string, args []string, retiring bool) (*version, string, string, int) {
	fs := newFlags(name, "SEGMENTATION [SPEC]")
	sf := addStoreFlags(fs, true)
	format := formatFlag(fs)
	names, code, ok := fs.parse(e, args)
	if !ok {
		return nil, "", "", code
	}
	names, err := sf.takeSpec(names)
	if err != nil {
		return nil, "", "", fs.usageError(e, "%v", err)
	}
	if len(names) != 1 {
		return nil, "", "", fs.usageError(e, "give the segmentation (and the spec, or --store, to find the store)")
	}
	v, err := e.openVersion(ctx, sf, names[0], retiring)
	if err != nil {
		return nil, "", "", e.fail(err)
	}
	return v, names[0], *format, ExitOK
}

func runRuns(ctx context.Context, e *env, args []string) int {
	fs := newFlags("runs", "[SPEC]")
	sf := addStoreFlags(fs, false)
	format := formatFlag(fs)
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	_, db, st, code, ok := sf.open(ctx, e, fs, rest, 0, "runs takes no arguments but the spec")
	if !ok {
		return code
	}
	defer db.Close()
	runs, err := st.Runs(ctx)
	if err != nil {
		return e.fail(err)
	}
	switch *format {
	case "json":
		return e.writeJSON(runsJSON(runs))
	case "csv":
		rows := [][]string{{"run_id", "status", "as_of", "run_key", "published_at", "segrun_version", "spec_hash"}}
		for _, r := range runs {
			rows = append(rows, []string{strconv.FormatInt(r.ID, 10), r.Status, r.AsOf.Format(time.DateOnly), r.Key,
				r.PublishedAt.Format(time.RFC3339), r.SegrunVersion, r.SpecHash})
		}
		return e.writeCSV(rows)
	}
	if len(runs) == 0 {
		fmt.Fprintf(e.stdout, "store %s has no versions yet\n", st.Path)
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tAS OF\tRUN KEY\tPUBLISHED (UTC)\tSPEC")
	for _, r := range runs {
		status := r.Status
		if r.ReplacedBy != nil {
			status += fmt.Sprintf(" by %d", *r.ReplacedBy)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%.12s\n", r.ID, status, r.AsOf.Format(time.DateOnly), dash(r.Key),
			r.PublishedAt.Format("2006-01-02 15:04:05"), r.SpecHash)
	}
	tw.Flush()
	return ExitOK
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runShow(ctx context.Context, e *env, args []string) int {
	v, name, format, code := openVersionCommand(ctx, e, "show", args, false)
	if v == nil {
		return code
	}
	defer v.db.Close()
	run, info, stats := v.run, v.info, v.stats
	kpis, err := v.store.KPIValues(ctx, run.ID, name)
	if err != nil {
		return e.fail(err)
	}
	switch format {
	case "json":
		// Decoded as plain JSON, not as the report type: the output shows every field the version stored,
		// also those of a segrun older or newer than this one.
		summary, _, _ := store.Decode[any](info.Summary.Document)
		out := map[string]any{"segmentation": name, "run_id": run.ID, "as_of": run.AsOf.Format(time.DateOnly),
			"method": info.Method, "entities": info.Entities, "assigned": info.Assigned, "segments": nonNil(stats), "summary": summary}
		if len(kpis) > 0 {
			out["kpis"] = kpisJSON(kpis)
		}
		return e.writeJSON(out)
	case "csv":
		rows := [][]string{{"segment", "size", "share", "description"}}
		for _, s := range stats {
			rows = append(rows, []string{s.Segment, strconv.FormatInt(s.Size, 10), strconv.FormatFloat(s.Share, 'f', 6, 64), s.Description})
		}
		return e.writeCSV(rows)
	}
	fmt.Fprintf(e.stdout, "%s (%s), version %d as of %s: %s of %s entities in a segment\n", name, info.Method, run.ID,
		run.AsOf.Format(time.DateOnly), thousands(info.Assigned), thousands(info.Entities))
	rows := [][]string{{"segment", "size", "share", ""}}
	var order []string
	for _, s := range stats {
		rows = append(rows, []string{s.Segment, thousands(s.Size), fmt.Sprintf("%.1f%%", 100*s.Share), s.Description})
		order = append(order, s.Segment)
	}
	writeTable(e.stdout, rows)
	// What the version stored about itself: a clustering's fit, validity, stability, profiles and rules,
	// and every segmentation's notes (min_size warnings among them), as its run printed them.
	if rep, ok, err := store.Decode[runner.SegmentationReport](info.Summary.Document); ok && err == nil {
		writeSegmentProfiles(e.stdout, rep.Profiles, order)
		if rep.Cluster != nil {
			writeClusterReport(e.stdout, rep.Cluster)
		}
		if rep.CLV != nil {
			writeCLVReport(e.stdout, rep.CLV)
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(e.stdout, "  note: %s\n", n)
		}
		writeAudits(e.stdout, rep.Audits)
	}
	writeVersionKPIs(e.stdout, kpis, order)
	return ExitOK
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func suggestIn(name string, options []string) string {
	if s := nearest(name, options); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return fmt.Sprintf(" (it has %v)", options)
}

func runChanges(ctx context.Context, e *env, args []string) int {
	v, name, format, code := openVersionCommand(ctx, e, "changes", args, true)
	if v == nil {
		return code
	}
	defer v.db.Close()
	st, run, stats := v.store, v.run, v.stats
	if v.retired {
		return e.writeRetirement(name, run, stats, format)
	}
	trans, err := st.Transitions(ctx, run.ID, name)
	if err != nil {
		return e.fail(err)
	}
	switch format {
	case "json":
		return e.writeJSON(map[string]any{"segmentation": name, "run_id": run.ID, "as_of": run.AsOf.Format(time.DateOnly),
			"segments": nonNil(stats), "transitions": nonNil(trans)})
	case "csv":
		rows := [][]string{{"segment", "size", "entered", "exited", "stayed"}}
		for _, s := range stats {
			rows = append(rows, []string{s.Segment, strconv.FormatInt(s.Size, 10), strconv.FormatInt(s.Entered, 10),
				strconv.FormatInt(s.Exited, 10), strconv.FormatInt(s.Stayed, 10)})
		}
		return e.writeCSV(rows)
	}
	against := "against the version before it"
	if first, err := isFirstVersion(ctx, st, run); err != nil {
		return e.fail(err)
	} else if first {
		against = "the first version: everyone entered"
	}
	fmt.Fprintf(e.stdout, "%s, version %d as of %s, %s\n", name, run.ID, run.AsOf.Format(time.DateOnly), against)
	writeSegmentTable(e.stdout, stats)
	if len(trans) > 0 {
		fmt.Fprintln(e.stdout, "\ntransitions (rows: from, columns: to; - is no segment):")
		writeMatrix(e.stdout, trans)
	}
	return ExitOK
}

// writeRetirement shows the changes of the version that retired segmentation name: every member exited.
func (e *env) writeRetirement(name string, run *store.Run, exits []store.SegmentStat, format string) int {
	var total int64
	for _, s := range exits {
		total += s.Exited
	}
	switch format {
	case "json":
		return e.writeJSON(map[string]any{"segmentation": name, "run_id": run.ID, "as_of": run.AsOf.Format(time.DateOnly),
			"retired": true, "segments": nonNil(exits)})
	case "csv":
		rows := [][]string{{"segment", "size", "entered", "exited", "stayed"}}
		for _, s := range exits {
			rows = append(rows, []string{s.Segment, "0", "0", strconv.FormatInt(s.Exited, 10), "0"})
		}
		return e.writeCSV(rows)
	}
	fmt.Fprintf(e.stdout, "%s, version %d as of %s: retired (no longer in the spec); its %s exited\n", name, run.ID,
		run.AsOf.Format(time.DateOnly), plural.Form(total, "1 member", thousands(total)+" members"))
	rows := [][]string{{"segment", "exited"}}
	for _, s := range exits {
		rows = append(rows, []string{s.Segment, thousands(s.Exited)})
	}
	writeTable(e.stdout, rows)
	return ExitOK
}

// writeMatrix prints transitions as a from x to table.
func writeMatrix(w io.Writer, trans []store.Transition) {
	set := map[string]bool{}
	for _, t := range trans {
		set[t.From], set[t.To] = true, true
	}
	var labels []string
	for l := range set {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i] != "" && (labels[j] == "" || labels[i] < labels[j]) })
	count := map[[2]string]int64{}
	for _, t := range trans {
		count[[2]string{t.From, t.To}] = t.Entities
	}
	header := []string{"from \\ to"}
	for _, l := range labels {
		header = append(header, dash(l))
	}
	rows := [][]string{append(header, "")}
	for _, from := range labels {
		row := []string{dash(from)}
		for _, to := range labels {
			if n := count[[2]string{from, to}]; n > 0 {
				row = append(row, thousands(n))
			} else {
				row = append(row, ".")
			}
		}
		rows = append(rows, append(row, ""))
	}
	writeTable(w, rows)
}

func runExport(ctx context.Context, e *env, args []string) int {
	fs := newFlags("export", "SEGMENTATION [SPEC]")
	sf := addStoreFlags(fs, true)
	out := fs.String("out", "", "the output file's `PATH`: .csv, .parquet or .jsonl")
	fs.required["out"] = true
	fs.check("out", func() error {
		switch filepath.Ext(*out) {
		case ".csv", ".parquet", ".jsonl":
		default:
			return errors.New("the extension must be .csv, .parquet or .jsonl")
		}
		return checkFilePath(*out)
	})
	changes := fs.Bool("changes", false, "export the version's change log (entered, exited) instead of its memberships")
	pii := fs.String("pii", "hash", "`hash|clear`: hash writes an entity the spec declared personal hashed, clear as it is")
	fs.check("pii", func() error {
		if *pii != "hash" && *pii != "clear" {
			return errors.New("want hash or clear")
		}
		return nil
	})
	names, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	names, err := sf.takeSpec(names)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	if len(names) != 1 || *out == "" {
		return fs.usageError(e, "give the segmentation and --out PATH")
	}
	v, err := e.openVersion(ctx, sf, names[0], false)
	if err != nil {
		return e.fail(err)
	}
	defer v.db.Close()
	// The version and the segmentation exist (openVersion said so otherwise, exit 1): what fails now is
	// writing the file, the environment.
	req := runner.ExportRequest{Segmentation: names[0], Run: v.run.ID, Changes: *changes, Path: *out}
	// What the latest version's spec declared (a store written before declarations were recorded has none).
	entityPII, err := v.store.Meta(ctx, "entity_pii")
	if err != nil {
		return e.fail(err)
	}
	// An audience's members all consented (consent: is one of its conditions), but its change log also
	// holds the exits of those who withdrew it: their personal entity must not leave in clear.
	if *pii == "clear" && *changes && entityPII != "" && strings.HasPrefix(v.info.Method, runner.AudienceMethod) {
		return fs.usageError(e, "%s is an audience whose entity is personal (%s): its change log holds the exits of entities that withdrew consent, which never leave in clear; export its members (without --changes) or leave --pii out to hash them", names[0], entityPII)
	}
	if *pii != "clear" {
		req.EntityPII = entityPII
	}
	if err := runner.Export(ctx, v.store, req); err != nil {
		return e.fail(fmt.Errorf("writing %s: %w", *out, err))
	}
	fmt.Fprintf(e.stdout, "wrote %s (version %d)\n", *out, v.run.ID)
	return ExitOK
}

func (e *env) writeJSON(v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return e.fail(err)
	}
	return ExitOK
}

func (e *env) writeCSV(rows [][]string) int {
	w := csv.NewWriter(e.stdout)
	if err := w.WriteAll(rows); err != nil {
		return e.fail(err)
	}
	return ExitOK
}

// runJSON is a run as `segrun runs --format json` prints it: the vars, source fingerprints and steps the
// store keeps as JSON text are objects, not strings holding JSON.
type runJSON struct {
	store.Run
	Vars     json.RawMessage `json:"vars"`
	Sources  json.RawMessage `json:"sources"`
	Steps    json.RawMessage `json:"steps"`
	Warnings json.RawMessage `json:"warnings"`
}

func runsJSON(runs []store.Run) []runJSON {
	out := []runJSON{}
	for _, r := range runs {
		out = append(out, runJSON{Run: r, Vars: rawJSON(r.Vars, "{}"), Sources: rawJSON(r.Sources, "[]"), Steps: rawJSON(r.Steps, "[]"),
			Warnings: rawJSON(r.Warnings, "[]")})
	}
	return out
}

// rawJSON passes stored JSON text through, or empty when it is missing; text that is not JSON (never
// written by segrun) stays a string rather than breaking the output.
func rawJSON(s, empty string) json.RawMessage {
	if s == "" {
		return json.RawMessage(empty)
	}
	if !json.Valid([]byte(s)) {
		quoted, _ := json.Marshal(s)
		return quoted
	}
	return json.RawMessage(s)
}

// isFirstVersion reports whether no published version comes before run: its change log is then everyone
// entering, not a comparison.
func isFirstVersion(ctx context.Context, st *store.Store, run *store.Run) (bool, error) {
	before, err := st.PublishedBefore(ctx, run.ID)
	return before == nil, err
}
