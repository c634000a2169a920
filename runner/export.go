package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/segrun/segrun/internal/shell"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// ExportsError says a version is published but some of its exports are not written: a failure, or an
// interrupt, after the publishing transaction committed. The CLI exits 4 for it, with the run's summary.
type ExportsError struct {
	Run int64
	// Store is the store's path as the run used it: the recovery commands name it, so they read this
	// store from the same directory, whatever the default would be.
	Store string
	// RunKey is the run's key, if any: a rerun with it writes the missing exports.
	RunKey string
	Failed []ExportFailure
	// Interrupted says the run was interrupted (Ctrl-C, SIGTERM) while it wrote the exports.
	Interrupted bool
}

// ExportFailure is one export not written, and why.
type ExportFailure struct {
	Segmentation string `json:"segmentation"`
	// Destination names an audience's destination (destination.go) rather than an export.
	Destination string `json:"destination,omitempty"`
	Changes     bool   `json:"changes,omitempty"`
	Path        string `json:"path"`
	Error       string `json:"error"`
}

func (e *ExportsError) Error() string {
	var b strings.Builder
	what := "failed"
	if e.Interrupted {
		what = "were interrupted"
	}
	fmt.Fprintf(&b, "version %d is published, but %d of its exports %s:", e.Run, len(e.Failed), what)
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Error)
	}
	var exports, destinations []ExportFailure
	for _, f := range e.Failed {
		if f.Destination != "" {
			destinations = append(destinations, f)
		} else {
			exports = append(exports, f)
		}
	}
	if len(destinations) > 0 {
		// A destination's file is made from the run's workspace, which a rerun that publishes nothing does
		// not have: the version is computed again.
		key := "--run-key KEY"
		if e.RunKey != "" {
			key = "--run-key " + shell.Quote(e.RunKey)
		}
		fmt.Fprintf(&b, "\nto deliver the destinations again, run the version again with %s --force (it replaces version %d with the same result)", key, e.Run)
	}
	if len(exports) == 0 {
		return b.String()
	}
	if e.RunKey != "" {
		fmt.Fprintf(&b, "\nto write them, run again with --run-key %s (it writes only what version %d lacks), or use segrun export:", e.RunKey, e.Run)
	} else {
		b.WriteString("\nto write them:")
	}
	for _, f := range exports {
		changes := ""
		if f.Changes {
			changes = " --changes"
		}
		fmt.Fprintf(&b, "\n  segrun export %s --store %s --run %d%s --out %s", shell.Quote(f.Segmentation), shell.Quote(e.Store), e.Run, changes, shell.Quote(f.Path))
	}
	return b.String()
}

// Unwrap lets errors.Is see an interrupt.
func (e *ExportsError) Unwrap() error {
	if e.Interrupted {
		return context.Canceled
	}
	return nil
}

// exports writes exps, the spec's exports that version run lacks, exactly as `segrun export` would, and
// records each in the store. Every export is attempted, whatever happened to the ones before; an interrupt
// stops them, and the rest count as not written.
func (e *execution) exports(ctx context.Context, run int64, exps []spec.Export) error {
	failed := &ExportsError{Run: run, Store: e.res.Store, RunKey: e.o.RunKey}
	for _, ex := range exps {
		path := e.s.Path(ex.Path)
		fail := func(err error) {
			failed.Failed = append(failed.Failed, ExportFailure{Segmentation: ex.Segmentation, Changes: ex.Changes, Path: path, Error: err.Error()})
		}
		if ctx.Err() != nil {
			failed.Interrupted = true
			fail(errors.New("not written: interrupted"))
			continue
		}
		if e.o.Hooks.BeforeExport != nil {
			e.o.Hooks.BeforeExport(path)
		}
		req := ExportRequest{Segmentation: ex.Segmentation, Run: run, Changes: ex.Changes, Path: path}
		if ex.PII != spec.PIIClear {
			req.EntityPII = e.v.EntityPII
		}
		err := Export(ctx, e.store, req)
		if err == nil {
			// Recorded once the file is in place: a retry rewrites whatever is not recorded.
			err = e.store.RecordExport(context.WithoutCancel(ctx), run, ex.Segmentation, ex.Changes, path)
		}
		if err != nil {
			if ctx.Err() != nil {
				// DuckDB's own words for it ("INTERRUPT Error: Interrupted!") say nothing the user can act on.
				failed.Interrupted = true
				err = errors.New("not written: interrupted")
			}
			fail(err)
			continue
		}
		e.res.Exports = append(e.res.Exports, path)
	}
	if len(failed.Failed) > 0 {
		e.res.ExportsFailed = failed.Failed
		return failed
	}
	return nil
}

// missingExports are the spec's exports that version run lacks: not recorded as written, or whose file
// is gone. Exports of segmentations the version did not publish (the spec renamed or added them since)
// are not the version's to write: they come back apart, as absent, so that a retry neither fails nor
// loops on them.
func (e *execution) missingExports(ctx context.Context, run int64) (missing, absent []spec.Export, err error) {
	published, err := e.store.Segmentations(ctx, run)
	if err != nil {
		return nil, nil, err
	}
	for _, ex := range e.s.Exports {
		if !slices.Contains(published, ex.Segmentation) {
			absent = append(absent, ex)
			continue
		}
		path := e.s.Path(ex.Path)
		written, err := e.store.ExportWritten(ctx, run, ex.Segmentation, ex.Changes, path)
		if err != nil {
			return nil, nil, err
		}
		if _, statErr := os.Stat(path); !written || statErr != nil {
			missing = append(missing, ex)
		}
	}
	return missing, absent, nil
}

// absentExports says why the spec's exports of segmentations version run did not publish are not written.
func absentExports(run int64, absent []spec.Export) string {
	var parts []string
	for _, ex := range absent {
		parts = append(parts, fmt.Sprintf("%s (version %d has no segmentation %s)", ex.Path, run, ex.Segmentation))
	}
	return fmt.Sprintf("not written: %s; the spec changed since version %d was published (--force republishes it)",
		strings.Join(parts, ", "), run)
}

// ExportRequest says what to export.
type ExportRequest struct {
	Segmentation string
	// Run is the version; 0 is the latest.
	Run int64
	// Changes exports the version's change log instead of its memberships.
	Changes bool
	// Path is the output file; its extension gives the format (.csv, .parquet, .jsonl).
	Path string
	// EntityPII is the entity column's kind of personal data: the entity is then written hashed (pii.go).
	// "" writes it as it is.
	EntityPII string
}

// Export writes a published version's memberships (entity, segment) or change log (entity, segment, event)
// to a file, typed as the entity column was in the pipeline. The file is written beside its final name and
// renamed into place, so a reader never sees half of it.
func Export(ctx context.Context, st *store.Store, r ExportRequest) error {
	format, err := exportFormat(r.Path)
	if err != nil {
		return err
	}
	run := r.Run
	if run == 0 {
		latest, err := st.LatestRun(ctx)
		if err != nil {
			return err
		}
		if latest == nil {
			return fmt.Errorf("store %s has no published version", st.Path)
		}
		run = latest.ID
	}
	entity, entityType, err := st.EntityColumn(ctx)
	if err != nil {
		return err
	}
	query, err := st.ExportQuery(ctx, r.Segmentation, run, r.Changes, entity, entityType)
	if err != nil {
		return err
	}
	if r.EntityPII != "" {
		query = fmt.Sprintf("SELECT * REPLACE (%s) FROM (%s) ORDER BY ALL", piiColumnSQL(sql.Ident(entity), entity, r.EntityPII, false, false), query)
	}
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o755); err != nil {
		return err
	}
	removeStaleTemps(r.Path)
	tmp := tempName(r.Path, os.Getpid())
	if err := st.CopyTo(ctx, query, tmp, format); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, r.Path)
}

// tempName is where the export to path is written before it is renamed into place: hidden, beside it (a
// rename within a directory is atomic), and named with the writing process's id.
func tempName(path string, pid int) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+strconv.Itoa(pid))
}

// removeStaleTemps deletes the temporary files of earlier exports to path whose process is gone: a run
// killed (kill -9) while it wrote leaves one, which nothing else would ever remove. A live process's
// file (an export in progress) is left alone.
func removeStaleTemps(path string) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	prefix := "." + filepath.Base(path) + ".tmp-"
	for _, en := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(en.Name(), prefix))
		if !strings.HasPrefix(en.Name(), prefix) || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.Remove(filepath.Join(filepath.Dir(path), en.Name()))
	}
}

func exportFormat(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".parquet":
		return "parquet", nil
	case ".jsonl":
		return "json", nil
	}
	return "", fmt.Errorf("%s: the file extension must be .csv, .parquet or .jsonl", path)
}
