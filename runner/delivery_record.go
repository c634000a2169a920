package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// Recorded deliveries: every attempt at delivering an audience version to a table or webhook is a row of
// the store's deliveries table (store.DeliveryRecord), and that row decides the next attempt. Content that
// was delivered (ok) is not sent again, even from a new version id (a forced rerun of the run key); a
// webhook delivery that failed part-way resumes after the batches its receiver confirmed.

// Ways a delivery was started, in the deliveries table's via column.
const (
	ViaRun     = "run"
	ViaDeliver = "deliver"
)

// DeliverRecorded delivers version run of audience to its table or webhook destination dn of s, and
// records the attempt in st (which must be open for writing). The content key is computed first, from
// the rows it would send: when the latest attempt at that content succeeded, nothing is sent and the
// attempt is recorded as skipped; when it was partial, a webhook skips the batches it confirmed. The
// returned record is the one stored; the error is the destination's.
func DeliverRecorded(ctx context.Context, db sql.Workspace, st *store.Store, s *spec.Spec, audience string, run int64, dn, via string) (store.DeliveryRecord, error) {
	return DeliverRecordedWith(ctx, db, st, s, audience, run, dn, DeliverOptions{Via: via})
}

// DeliverOptions are how a recorded delivery is made.
type DeliverOptions struct {
	Via string // ViaRun or ViaDeliver
	// Again sends content recorded as delivered all the same (segrun deliver --again, for a destination
	// that lost it), under the same keys, from its first batch.
	Again bool
}

// DeliverRecordedWith is DeliverRecorded with options.
func DeliverRecordedWith(ctx context.Context, db sql.Workspace, st *store.Store, s *spec.Spec, audience string, run int64, dn string, o DeliverOptions) (store.DeliveryRecord, error) {
	via := o.Via
	d, _ := s.Destinations.Get(dn)
	mode := destinationMode(d)
	rec := store.DeliveryRecord{ID: destinations.DeliveryID(audience, run, dn), Audience: audience, Destination: dn, Target: destinationLabel(d),
		Run: run, Mode: mode, Via: via, Started: time.Now().UTC()}
	dest := externalDestination(dn, d)
	if dest == nil {
		return rec, fmt.Errorf("destination %s is a file: segrun run writes it", dn)
	}
	res, err := deliverRecorded(ctx, db, st, &rec, dest, o.Again)
	rec.Finished = time.Now().UTC()
	switch {
	case rec.Status == store.DeliverySkipped:
	case err == nil && res.AlreadyApplied:
		// The destination itself had applied this delivery id (a table records them; deliver --again
		// reaches it): nothing was applied, which an ok of 0 rows would have misreported.
		rec.Status = store.DeliverySkipped
	case err == nil:
		rec.Status = store.DeliveryOK
	case rec.Batches != nil && *rec.Batches > 0:
		rec.Status, rec.Error = store.DeliveryPartial, err.Error()
	default:
		rec.Status, rec.Error = store.DeliveryFailed, err.Error()
	}
	if rec.Status != store.DeliverySkipped && rec.ContentKey != "" {
		up, ex := res.Upserted, res.Exited
		if mode == destinations.ModeFull {
			rec.Members = &up
		} else {
			rec.Entered, rec.Exited = &up, &ex
		}
	}
	if rerr := st.RecordDelivery(context.WithoutCancel(ctx), rec); rerr != nil {
		err = errors.Join(err, fmt.Errorf("destination %s: recording the delivery: %w", dn, rerr))
	}
	return rec, err
}

// deliverRecorded fills rec's run key and content key, then sends unless that content was delivered.
func deliverRecorded(ctx context.Context, db sql.Workspace, st *store.Store, rec *store.DeliveryRecord, dest destinations.Destination, again bool) (destinations.Result, error) {
	r, err := st.RunByID(ctx, rec.Run)
	if err != nil {
		return destinations.Result{}, err
	}
	if r != nil {
		rec.RunKey = r.Key
	}
	q, err := deliveryRowsQuery(ctx, st, rec.Audience, rec.Run, rec.Destination, rec.Mode)
	if err != nil {
		return destinations.Result{}, err
	}
	db = st.QueryWorkspace(db)
	digest, err := deliveryDigest(ctx, db, q)
	if err != nil {
		return destinations.Result{}, fmt.Errorf("destination %s: reading version %d of %s: %w", rec.Destination, rec.Run, rec.Audience, err)
	}
	identity := rec.RunKey
	if identity == "" {
		identity = fmt.Sprintf("v%d", rec.Run)
	}
	rec.ContentKey = destinations.ContentKey(rec.Audience, rec.Destination, rec.Mode, identity, digest)
	last, err := st.LastDelivery(ctx, rec.Audience, rec.Destination, rec.ContentKey)
	if err != nil {
		return destinations.Result{}, err
	}
	skip := 0
	if last != nil && !again {
		if last.Status == store.DeliveryOK || last.Status == store.DeliverySkipped {
			rec.Status, rec.Batches = store.DeliverySkipped, last.Batches
			return destinations.Result{AlreadyApplied: true}, nil
		}
		if last.Batches != nil {
			skip = *last.Batches
		}
	}
	w, isWebhook := dest.(*destinations.Webhook)
	if isWebhook {
		w.SkipBatches = skip
	}
	res, err := deliverRows(ctx, db, q, destinations.Delivery{ID: rec.ID, Key: rec.ContentKey, Audience: rec.Audience, Version: rec.Run, Mode: rec.Mode}, dest)
	if isWebhook {
		b := res.Batches
		rec.Batches = &b
	}
	return res, err
}
