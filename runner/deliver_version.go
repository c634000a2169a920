package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// DeliverVersion delivers version run of audience, read from the store attached to db, to destination
// dest (named name, for its delivery id): every member with its group (mode full) or the version's
// entered and exited (mode changes). An audience is stored as a segmentation whose segments are its
// groups (treatment, control), so a version's rows are its memberships or its change log. The rows go to
// the destination as Arrow record batches are read, never all in memory. From a store on PostgreSQL they
// are first pulled as Arrow into the store's in-memory DuckDB database (store.QueryWorkspace): a table or
// webhook outside the database is where an audience's members must go. It records nothing: the run and
// segrun deliver call DeliverRecorded, which does.
func DeliverVersion(ctx context.Context, db sql.Workspace, st *store.Store, audience string, run int64, name, mode string, dest destinations.Destination) (destinations.Result, error) {
	q, err := deliveryRowsQuery(ctx, st, audience, run, name, mode)
	if err != nil {
		return destinations.Result{}, err
	}
	return deliverRows(ctx, st.QueryWorkspace(db), q, destinations.Delivery{ID: destinations.DeliveryID(audience, run, name), Audience: audience, Version: run, Mode: mode}, dest)
}

// deliveryRowsQuery selects a version's (entity, grp, event) rows for a destination in mode, in entity order.
func deliveryRowsQuery(ctx context.Context, st *store.Store, audience string, run int64, name, mode string) (string, error) {
	if mode != destinations.ModeFull && mode != destinations.ModeChanges {
		return "", fmt.Errorf("destination %s: mode %q is neither full nor changes", name, mode)
	}
	q, err := st.ExportQuery(ctx, audience, run, mode == destinations.ModeChanges, "entity", "")
	if err != nil {
		return "", fmt.Errorf("destination %s: %w", name, err)
	}
	event := sql.Literal(destinations.EventMember)
	if mode == destinations.ModeChanges {
		event = "event"
	}
	return fmt.Sprintf("SELECT entity::VARCHAR AS entity, segment::VARCHAR AS grp, %s::VARCHAR AS event FROM (%s)", event, q), nil
}

// deliverRows hands the rows of q to dest as d.
func deliverRows(ctx context.Context, db sql.Workspace, q string, d destinations.Delivery, dest destinations.Destination) (destinations.Result, error) {
	var res destinations.Result
	err := db.WithArrow(ctx, func(a *sql.Arrow) error {
		r, err := a.Query(q)
		if err != nil {
			return err
		}
		defer r.Release()
		d.Rows = arrowDeliveryRows(r)
		res, err = dest.Deliver(ctx, d)
		return err
	})
	return res, err
}

// deliveryDigest hashes the rows of q in order (entity, group, event, one line each), reading them as
// Arrow batches: what a delivery sends, known before anything is sent, so that its content key
// (destinations.ContentKey) can say whether it was sent before.
func deliveryDigest(ctx context.Context, db sql.Workspace, q string) (string, error) {
	h := sha256.New()
	err := db.WithArrow(ctx, func(a *sql.Arrow) error {
		r, err := a.Query(q)
		if err != nil {
			return err
		}
		defer r.Release()
		for row, err := range arrowDeliveryRows(r) {
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\t%s\t%s\n", row.Entity, row.Group, row.Event)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

// arrowDeliveryRows yields the (entity, group, event) rows of r's batches. The strings are copies: Arrow's
// are views of the batch's buffers, which the next batch may reuse, and a webhook holds a batch of
// events across Arrow batches (sent as they were, the entities of one batch came out as garbage).
func arrowDeliveryRows(r array.RecordReader) func(yield func(destinations.Row, error) bool) {
	return func(yield func(destinations.Row, error) bool) {
		for r.Next() {
			rec := r.RecordBatch()
			ent, grp, ev := rec.Column(0), rec.Column(1), rec.Column(2)
			for i := range int(rec.NumRows()) {
				if !yield(destinations.Row{Entity: strings.Clone(ent.ValueStr(i)), Group: strings.Clone(grp.ValueStr(i)), Event: strings.Clone(ev.ValueStr(i))}, nil) {
					return
				}
			}
		}
		if err := r.Err(); err != nil {
			yield(destinations.Row{}, err)
		}
	}
}
