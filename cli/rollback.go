package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// runRollback retires the latest published version, or every version after --to N, so that the store is
// as it was before them: a way out of a wrong latest version (a run with the wrong --as-of, which makes
// every run with the right date "earlier than the latest version").
func runRollback(ctx context.Context, e *env, args []string) int {
	fs := newFlags("rollback", "[SPEC]")
	sf := addStoreFlags(fs, false)
	last := fs.Bool("last", false, "roll back the latest published version")
	to := fs.Int64("to", -1, "roll back every published version after version `N`, which becomes the latest (0: all of them)")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	rest, err := sf.takeSpec(rest)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	switch {
	case len(rest) > 0:
		return fs.usageError(e, "rollback takes no arguments but the spec")
	case *last == (*to >= 0):
		return fs.usageError(e, "give either --last or --to N")
	}
	path, err := sf.locate()
	if err != nil {
		return e.fail(err)
	}
	db, st, err := e.openWriter(ctx, path, *sf.wait)
	if err != nil {
		return e.fail(err)
	}
	defer db.Close()
	latest, err := st.LatestRun(ctx)
	if err != nil {
		return e.fail(err)
	}
	if latest == nil {
		return e.fail(userErrorf("store %s has no published version to roll back", path))
	}
	target := *to
	if *last {
		prev, err := st.PublishedBefore(ctx, latest.ID)
		if err != nil {
			return e.fail(err)
		}
		target = 0
		if prev != nil {
			target = prev.ID
		}
	} else if target > 0 {
		r, err := st.RunByID(ctx, target)
		if err != nil {
			return e.fail(err)
		}
		if r == nil || r.Status != store.StatusPublished {
			return e.fail(userErrorf("store %s has no published version %d to roll back to (segrun runs lists them)", path, target))
		}
		if r.ID == latest.ID {
			return e.fail(userErrorf("version %d is already the latest; nothing to roll back", target))
		}
	}
	rolled, err := st.RollBack(ctx, target)
	if err != nil {
		return e.fail(err)
	}
	var names []string
	for _, r := range rolled {
		names = append(names, fmt.Sprintf("%d (as of %s)", r.ID, r.AsOf.Format(time.DateOnly)))
	}
	fmt.Fprintf(e.stdout, "rolled back version %s in %s\n", strings.Join(names, ", version "), path)
	now, err := st.LatestRun(ctx)
	if err != nil {
		return e.fail(err)
	}
	if now == nil {
		fmt.Fprintln(e.stdout, "the store has no published version now; the next run publishes a first version")
	} else {
		fmt.Fprintf(e.stdout, "the latest version is now %d (as of %s); the next run compares with it\n", now.ID, now.AsOf.Format(time.DateOnly))
	}
	// segrun export writes to a path it is given, in its own columns: it does not rewrite these files (the
	// message said it did). The next run, or a rerun of the latest version's run key, does.
	var ids []int64
	for _, r := range rolled {
		ids = append(ids, r.ID)
	}
	written, err := st.ExportPaths(ctx, ids)
	if err != nil {
		return e.fail(err)
	}
	if len(written) == 0 {
		return ExitOK
	}
	fmt.Fprintf(e.stdout, "the files and destinations the rolled-back versions wrote still hold them: %s\n", strings.Join(written, ", "))
	fmt.Fprintln(e.stdout, "the next run writes the spec's exports and destination files again (so does rerunning the latest version's run key, for its exports); segrun export writes a version to a path you give, not these; tables and webhooks keep what was delivered")
	return ExitOK
}
