package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql"
)

// storeFlags are the flags of the commands that read the store.
type storeFlags struct {
	store  *string
	format *string
	run    *int64
	wait   *time.Duration
}

func addStoreFlags(fs *flagSet, withRun bool) *storeFlags {
	sf := &storeFlags{
		store:  fs.String("store", "segrun.duckdb", "the versioned store"),
		format: fs.String("format", "text", "output: text, json or csv"),
		wait:   fs.Duration("wait", 0, "wait this long for a store a run is using"),
	}
	if withRun {
		sf.run = fs.Int64("run", 0, "the version (default: the latest)")
	}
	return sf
}

// openStore attaches a store read-only to a fresh in-memory database.
func openStore(ctx context.Context, path string, wait time.Duration) (*sql.DB, *sql.Store, error) {
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		return nil, nil, err
	}
	st, err := sql.AttachStore(ctx, db, path, sql.ReadOnly, wait)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, st, nil
}

func (sf *storeFlags) check(fs *flagSet, e *env) bool {
	return fs.oneOf(e, "format", *sf.format, []string{"text", "json", "csv"})
}

// resolveRun picks the version to read: --run, or the latest published.
func resolveRun(ctx context.Context, st *sql.Store, run int64) (*sql.Run, error) {
	if run == 0 {
		r, err := st.LatestRun(ctx)
		if err == nil && r == nil {
			err = userErrorf("store %s has no published version yet", st.Path)
		}
		return r, err
	}
	r, err := st.RunByID(ctx, run)
	if err == nil && r == nil {
		err = userErrorf("store %s has no version %d (segrun runs lists them)", st.Path, run)
	}
	if err == nil && r.Status != sql.StatusPublished {
		err = userErrorf("version %d was %s", run, r.Status)
		if r.ReplacedBy != nil {
			err = userErrorf("version %d was replaced by version %d", run, *r.ReplacedBy)
		}
	}
	return r, err
}

// version is one segmentation of one published version, opened for reading.
type version struct {
	db    *sql.DB
	store *sql.Store
	run   *sql.Run
	info  *sql.VersionInfo
	stats []sql.SegmentStat
}

// openVersion opens the store and reads a segmentation's record in the version --run names (the latest by
// default), with a suggestion when the name is wrong.
func openVersion(ctx context.Context, sf *storeFlags, name string) (*version, error) {
	db, st, err := openStore(ctx, *sf.store, *sf.wait)
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
			return fail(userErrorf("segmentation %q was retired in version %d (removed from the spec; its members exited then); its last version is %d: --run %d shows it",
				name, retiredIn, last, last))
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
func openVersionCommand(ctx context.Context, e *env, name string, args []string) (*version, []string, *storeFlags, int) {
	fs := newFlags(name, "segrun "+name+" SEGMENTATION [--run N] [--store PATH] [--format text|json|csv]", e.stderr)
	sf := addStoreFlags(fs, true)
	names, code, ok := fs.parse(e, args)
	if !ok {
		return nil, nil, nil, code
	}
	if !sf.check(fs, e) {
		return nil, nil, nil, ExitUsage
	}
	if len(names) != 1 {
		return nil, nil, nil, fs.usageError(e, "give the segmentation")
	}
	v, err := openVersion(ctx, sf, names[0])
	if err != nil {
		return nil, nil, nil, e.fail(err)
	}
	return v, names, sf, ExitOK
}

func runRuns(ctx context.Context, e *env, args []string) int {
	fs := newFlags("runs", "segrun runs [--store PATH] [--format text|json|csv]", e.stderr)
	sf := addStoreFlags(fs, false)
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if !sf.check(fs, e) {
		return ExitUsage
	}
	if len(rest) > 0 {
		return fs.usageError(e, "runs takes no arguments")
	}
	db, st, err := openStore(ctx, *sf.store, *sf.wait)
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	runs, err := st.Runs(ctx)
	if err != nil {
		return e.fail(err)
	}
	switch *sf.format {
	case "json":
		if runs == nil {
			runs = []sql.Run{}
		}
		return e.writeJSON(runs)
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
	v, names, sf, code := openVersionCommand(ctx, e, "show", args)
	if v == nil {
		return code
	}
	defer v.db.Close()
	run, info, stats := v.run, v.info, v.stats
	switch *sf.format {
	case "json":
		var summary any
		_ = json.Unmarshal([]byte(info.Summary), &summary)
		return e.writeJSON(map[string]any{"segmentation": names[0], "run_id": run.ID, "as_of": run.AsOf.Format(time.DateOnly),
			"method": info.Method, "entities": info.Entities, "assigned": info.Assigned, "segments": nonNil(stats), "summary": summary})
	case "csv":
		rows := [][]string{{"segment", "size", "share", "description"}}
		for _, s := range stats {
			rows = append(rows, []string{s.Segment, strconv.FormatInt(s.Size, 10), strconv.FormatFloat(s.Share, 'f', 6, 64), s.Description})
		}
		return e.writeCSV(rows)
	}
	fmt.Fprintf(e.stdout, "%s (%s), version %d as of %s: %s of %s entities in a segment\n", names[0], info.Method, run.ID,
		run.AsOf.Format(time.DateOnly), thousands(info.Assigned), thousands(info.Entities))
	rows := [][]string{{"segment", "size", "share", ""}}
	for _, s := range stats {
		rows = append(rows, []string{s.Segment, thousands(s.Size), fmt.Sprintf("%.1f%%", 100*s.Share), s.Description})
	}
	writeTable(e.stdout, rows)
	// What the version stored about itself: a clustering's fit, validity, stability, profiles and rules,
	// and every segmentation's notes (min_size warnings among them), as its run printed them.
	var rep runner.SegmentationReport
	if json.Unmarshal([]byte(info.Summary), &rep) == nil {
		if rep.Cluster != nil {
			writeClusterReport(e.stdout, rep.Cluster)
		}
		for _, n := range rep.Notes {
			fmt.Fprintf(e.stdout, "  note: %s\n", n)
		}
	}
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
	v, names, sf, code := openVersionCommand(ctx, e, "changes", args)
	if v == nil {
		return code
	}
	defer v.db.Close()
	st, run, stats := v.store, v.run, v.stats
	trans, err := st.Transitions(ctx, run.ID, names[0])
	if err != nil {
		return e.fail(err)
	}
	switch *sf.format {
	case "json":
		return e.writeJSON(map[string]any{"segmentation": names[0], "run_id": run.ID, "as_of": run.AsOf.Format(time.DateOnly),
			"segments": nonNil(stats), "transitions": nonNil(trans)})
	case "csv":
		rows := [][]string{{"segment", "size", "entered", "exited", "stayed"}}
		for _, s := range stats {
			rows = append(rows, []string{s.Segment, strconv.FormatInt(s.Size, 10), strconv.FormatInt(s.Entered, 10),
				strconv.FormatInt(s.Exited, 10), strconv.FormatInt(s.Stayed, 10)})
		}
		return e.writeCSV(rows)
	}
	fmt.Fprintf(e.stdout, "%s, version %d as of %s, against the version before it\n", names[0], run.ID, run.AsOf.Format(time.DateOnly))
	writeSegmentTable(e.stdout, stats)
	if len(trans) > 0 {
		fmt.Fprintln(e.stdout, "\ntransitions (rows: from, columns: to; - is no segment):")
		writeMatrix(e.stdout, trans)
	}
	return ExitOK
}

// writeMatrix prints transitions as a from x to table.
func writeMatrix(w io.Writer, trans []sql.Transition) {
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
	fs := newFlags("export", "segrun export SEGMENTATION --out PATH [--run N] [--changes] [--store PATH]", e.stderr)
	store := fs.String("store", "segrun.duckdb", "the versioned store")
	out := fs.String("out", "", "output file: .csv, .parquet or .jsonl")
	run := fs.Int64("run", 0, "the version (default: the latest)")
	changes := fs.Bool("changes", false, "export the version's change log (entered, exited) instead of its memberships")
	wait := fs.Duration("wait", 0, "wait this long for a store a run is using")
	names, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(names) != 1 || *out == "" {
		return fs.usageError(e, "give the segmentation and --out PATH")
	}
	switch filepath.Ext(*out) {
	case ".csv", ".parquet", ".jsonl":
	default:
		return fs.usageError(e, "--out %s: the extension must be .csv, .parquet or .jsonl", *out)
	}
	db, st, err := openStore(ctx, *store, *wait)
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	r, err := resolveRun(ctx, st, *run)
	if err != nil {
		return e.fail(err)
	}
	if err := runner.Export(ctx, st, runner.ExportRequest{Segmentation: names[0], Run: r.ID, Changes: *changes, Path: *out}); err != nil {
		return e.fail(userErrorf("%v", err))
	}
	fmt.Fprintf(e.stdout, "wrote %s (version %d)\n", *out, r.ID)
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
