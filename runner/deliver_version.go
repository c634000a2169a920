package runner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// DeliverVersion delivers version run of audience, read from the store attached to db, to destination
// dest (named name, for its delivery id): every member with its group (mode full) or the version's
// entered and exited (mode changes). An audience is stored as a segmentation whose segments are its
// groups (treatment, control), so a version's rows are its memberships or its change log. The rows go to
// the destination as Arrow record batches are read, never all in memory; the caller records the result.
//
// This is the piece the run (after publishing) and segrun deliver call; what remains to wire is listed in
// docs/destinations.md.
func DeliverVersion(ctx context.Context, db sql.Workspace, st *store.Store, audience string, run int64, name, mode string, dest destinations.Destination) (destinations.Result, error) {
	if mode != destinations.ModeFull && mode != destinations.ModeChanges {
		return destinations.Result{}, fmt.Errorf("destination %s: mode %q is neither full nor changes", name, mode)
	}
	q, err := st.ExportQuery(ctx, audience, run, mode == destinations.ModeChanges, "entity", "")
	if err != nil {
		return destinations.Result{}, fmt.Errorf("destination %s: %w", name, err)
	}
	event := sql.Literal(destinations.EventMember)
	if mode == destinations.ModeChanges {
		event = "event"
	}
	q = fmt.Sprintf("SELECT entity::VARCHAR AS entity, segment::VARCHAR AS grp, %s::VARCHAR AS event FROM (%s)", event, q)
	var res destinations.Result
	err = db.WithArrow(ctx, func(a *sql.Arrow) error {
		r, err := a.Query(q)
		if err != nil {
			return err
		}
		defer r.Release()
		res, err = dest.Deliver(ctx, destinations.Delivery{
			ID:       destinations.DeliveryID(audience, run, name),
			Audience: audience, Version: run, Mode: mode,
			Rows: arrowDeliveryRows(r),
		})
		return err
	})
	return res, err
}

// arrowDeliveryRows yields the (entity, group, event) rows of r's batches.
func arrowDeliveryRows(r array.RecordReader) func(yield func(destinations.Row, error) bool) {
	return func(yield func(destinations.Row, error) bool) {
		for r.Next() {
			rec := r.RecordBatch()
			ent, grp, ev := rec.Column(0), rec.Column(1), rec.Column(2)
			for i := range int(rec.NumRows()) {
				if !yield(destinations.Row{Entity: ent.ValueStr(i), Group: grp.ValueStr(i), Event: ev.ValueStr(i)}, nil) {
					return
				}
			}
		}
		if err := r.Err(); err != nil {
			yield(destinations.Row{}, err)
		}
	}
}
