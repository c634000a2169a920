package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/segrun/segrun/internal/definitions"
	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

// docsFormats are the formats of the definition document.
var docsFormats = []string{"md", "html"}

// runDocs writes the definition document: every segmentation and segment with its definition, owner,
// action plan, size, trend and definition history, from the spec and, when it exists, its store.
func runDocs(ctx context.Context, e *env, args []string) int {
	fs := newFlags("docs", "[SPEC]")
	storePath := fs.String("store", "", "the versioned store's `PATH` (default: the spec's store); without a spec, the store alone is documented")
	format := fs.choice("format", "md", docsFormats, "output: md (Markdown) or html (one self-contained page)")
	out := fs.String("out", "", "write the document to `FILE` instead of stdout")
	noData := fs.Bool("no-data", false, "validate the spec without reading data files (see segrun validate --help)")
	wait := fs.nonNegative("wait", readerWait, "wait this long (a `DURATION`) for a store a run is using; 0 fails at once")
	fs.check("store", func() error { return checkStorePath(*storePath) })
	fs.check("out", func() error { return checkFilePath(*out) })
	files, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(files) > 1 {
		return fs.usageError(e, "give at most one spec")
	}
	src := definitions.Source{StorePath: *storePath}
	if len(files) == 1 {
		v, err := runner.Validate(ctx, files[0], runner.ValidateOptions{NoData: *noData})
		if err != nil {
			return e.fail(err)
		}
		w := &spec.Writer{}
		w.WriteText(e.stderr, v.Diagnostics)
		if !v.Valid() {
			return invalidSpecExit(v.Diagnostics)
		}
		src.Validation = v
		if src.StorePath == "" {
			src.StorePath = v.Spec.StorePath()
		}
	} else if src.StorePath == "" {
		return fs.usageError(e, "give the spec (its store is read when it exists), or --store to document a store alone")
	}
	_, pg := store.PostgresSchema(src.StorePath)
	if _, err := os.Stat(src.StorePath); !pg && errors.Is(err, os.ErrNotExist) {
		if src.Validation == nil {
			return e.fail(fmt.Errorf("no store at %s (given with --store)", src.StorePath))
		}
		src.StoreNote = fmt.Sprintf("No store at %s yet: sizes, trends and the definition history appear once a run has published; the definitions are the spec's.", src.StorePath)
	} else {
		db, st, err := e.openReader(ctx, src.StorePath, *wait) // a file, or a schema on PostgreSQL
		if err != nil {
			return e.fail(err)
		}
		defer db.Close()
		src.Store = st
		if src.Validation == nil { // the store alone: its latest version is all there is to document
			latest, err := st.LatestRun(ctx)
			if err != nil {
				return e.fail(err)
			}
			if latest == nil {
				return e.fail(userErrorf("store %s has no published version yet: nothing to document without the spec (segrun docs SPEC documents the spec's definitions)", src.StorePath))
			}
		}
	}
	doc, err := definitions.Build(ctx, src)
	if err != nil {
		return e.fail(err)
	}
	var buf bytes.Buffer
	render := definitions.Markdown
	if *format == "html" {
		render = definitions.HTML
	}
	if err := render(&buf, doc); err != nil {
		return e.fail(err)
	}
	if *out == "" {
		_, err = io.Copy(e.stdout, &buf)
		if err != nil {
			return e.fail(err)
		}
		return ExitOK
	}
	if err := writeFileAtomically(*out, buf.Bytes()); err != nil {
		var pe *os.PathError // its path is the temporary file's: name the one asked for
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return e.fail(fmt.Errorf("cannot write the document to %s: %w", *out, err))
	}
	fmt.Fprintf(e.stdout, "wrote the definition document of %s to %s\n", doc.Pipeline, *out)
	return ExitOK
}

// writeFileAtomically writes a temporary file beside path and renames it into place, so a reader never
// sees half a document.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
