package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/segrun/segrun/sql"
)

// exports writes the spec's exports from the version just published, exactly as `segrun export` would.
func (e *execution) exports(ctx context.Context) error {
	for _, ex := range e.s.Exports {
		path := e.s.Path(ex.Path)
		if err := Export(ctx, e.store, ExportRequest{Segmentation: ex.Segmentation, Run: e.res.RunID, Changes: ex.Changes, Path: path}); err != nil {
			return fmt.Errorf("export %s: %w (version %d is published; rerun segrun export to write the file)", ex.Path, err, e.res.RunID)
		}
		e.res.Exports = append(e.res.Exports, path)
	}
	return nil
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
}

// Export writes a published version's memberships (entity, segment) or change log (entity, segment, event)
// to a file, typed as the entity column was in the pipeline. The file is written beside its final name and
// renamed into place, so a reader never sees half of it.
func Export(ctx context.Context, store *sql.Store, r ExportRequest) error {
	format, err := exportFormat(r.Path)
	if err != nil {
		return err
	}
	run := r.Run
	if run == 0 {
		latest, err := store.LatestRun(ctx)
		if err != nil {
			return err
		}
		if latest == nil {
			return fmt.Errorf("store %s has no published version", store.Path)
		}
		run = latest.ID
	}
	entity, entityType, err := store.EntityColumn(ctx)
	if err != nil {
		return err
	}
	query, err := store.ExportQuery(ctx, r.Segmentation, run, r.Changes, entity, entityType)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(r.Path), "."+filepath.Base(r.Path)+fmt.Sprintf(".tmp-%d", os.Getpid()))
	if err := store.CopyTo(ctx, query, tmp, format); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, r.Path)
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
