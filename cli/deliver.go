package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// runDeliver delivers an audience's published version (the latest, or --run) to its PostgreSQL and
// webhook destinations again: after a delivery failed (exit 4), or to a destination that was down. The
// delivery id is the version's, so a destination that had applied it applies nothing. File destinations
// are written by segrun run (and segrun export).
func runDeliver(ctx context.Context, e *env, args []string) int {
	fs := newFlags("deliver", "AUDIENCE SPEC")
	sf := addStoreFlags(fs, true)
	only := fs.String("destination", "", "deliver to this `DESTINATION` only (default: every table and webhook of the audience)")
	again := fs.Bool("again", false, "send content the store records as delivered all the same, under the same idempotency keys (for a destination that lost it)")
	names, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	names, err := sf.takeSpec(names)
	if err != nil {
		return fs.usageError(e, "%v", err)
	}
	if len(names) != 1 || *sf.spec == "" {
		return fs.usageError(e, "give the audience and the spec (its destinations: say where to deliver)")
	}
	s, _, err := spec.Load(*sf.spec)
	if err != nil {
		return e.fail(fmt.Errorf("reading the spec: %w", err))
	}
	if s == nil {
		return e.fail(userErrorf("%s is not a spec (segrun validate %s says why)", *sf.spec, *sf.spec))
	}
	a, ok := s.Audiences.Get(names[0])
	if !ok {
		return fs.usageError(e, "spec %s has no audience %q%s", *sf.spec, names[0], suggestIn(names[0], s.Audiences.Keys()))
	}
	if len(a.Destinations) == 0 {
		return fs.usageError(e, "audience %s has no destinations: in the spec: nothing to deliver (segrun export writes a version's memberships to a file)", names[0])
	}
	var targets, files []string
	for _, dn := range a.Destinations {
		if *only != "" && dn != *only {
			continue
		}
		if d, _ := s.Destinations.Get(dn); runner.ExternalDestination(dn, d) == nil {
			files = append(files, dn)
			continue
		}
		targets = append(targets, dn)
	}
	switch {
	case len(targets) == 0 && len(files) == 0:
		return fs.usageError(e, "audience %s has no destination %q%s", names[0], *only, suggestIn(*only, a.Destinations))
	case len(targets) == 0 && *only != "":
		return fs.usageError(e, "destination %s is a file: segrun run writes it (segrun export writes a version's memberships to a file)", *only)
	case len(targets) == 0:
		// Saying nothing with exit 0 read as a delivery that happened.
		return fs.usageError(e, "audience %s has no table or webhook destination: nothing to deliver (%s: segrun run writes its files)", names[0], strings.Join(files, ", "))
	}
	path, err := sf.locate()
	if err != nil {
		return e.fail(err)
	}
	// Read-write: each attempt is recorded in the store's deliveries table. A store on PostgreSQL has no
	// workspace of its own: the version's rows are pulled into its in-memory DuckDB (store.QueryWorkspace).
	closer, st, err := e.openWriter(ctx, path, *sf.wait)
	if err != nil {
		return e.fail(err)
	}
	defer closer.Close()
	db, _ := closer.(sql.Workspace)
	run, err := resolveRun(ctx, st, *sf.run)
	if err != nil {
		return e.fail(err)
	}
	var failed []error
	for _, dn := range targets {
		rec, err := runner.DeliverRecordedWith(ctx, db, st, s, names[0], run.ID, dn, runner.DeliverOptions{Via: runner.ViaDeliver, Again: *again})
		switch {
		case err != nil:
			e.errorf("%v", err)
			failed = append(failed, err)
		case rec.Status == store.DeliverySkipped && *again:
			fmt.Fprintf(e.stdout, "%s: version %d was already applied by %s, which records the deliveries it applied; nothing changed there\n", dn, run.ID, rec.Target)
		case rec.Status == store.DeliverySkipped:
			fmt.Fprintf(e.stdout, "%s: version %d was already delivered (same content); nothing sent (--again sends it again)\n", dn, run.ID)
		default:
			fmt.Fprintf(e.stdout, "%s: version %d delivered (%s): %s\n", dn, run.ID, rec.Mode, deliveryCounts(rec))
		}
	}
	if len(failed) > 0 {
		e.errorf("%d of the deliveries failed: run segrun deliver %s again once the destination is back", len(failed), names[0])
		return ExitExports
	}
	return ExitOK
}
