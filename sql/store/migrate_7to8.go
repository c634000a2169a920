package store

import (
	"context"
	stdsql "database/sql"
	"errors"
	"time"
)

// Deliveries (schema version 8): one row per attempt at delivering an audience version to one of its
// destinations (a file, a PostgreSQL table, a webhook): what was sent, how it ended, and for a webhook the
// batches the receiver confirmed, so that a retry resumes after exactly those and a forced rerun that
// would send the same content again sends nothing. This file holds all of it: the table, the migration
// adding it (which carries over the audience rows of the exports table), the typed record and the store's
// writes and reads of it.

const deliveriesDDL = `CREATE TABLE IF NOT EXISTS segrun_store.deliveries (
		delivery_id VARCHAR NOT NULL,
		audience VARCHAR NOT NULL,
		destination VARCHAR NOT NULL,
		target VARCHAR NOT NULL,
		run_id BIGINT NOT NULL,
		run_key VARCHAR,
		mode VARCHAR NOT NULL,
		content_key VARCHAR,
		entered BIGINT,
		exited BIGINT,
		members BIGINT,
		batches_confirmed INTEGER,
		status VARCHAR NOT NULL,
		error VARCHAR,
		via VARCHAR NOT NULL,
		started_at TIMESTAMP NOT NULL,
		finished_at TIMESTAMP NOT NULL)`

// A new store gets the table with the rest of the schema.
func init() { storeDDL = append(storeDDL, deliveriesDDL) }

// Statuses of a delivery.
const (
	DeliveryOK      = "ok"
	DeliveryFailed  = "failed"
	DeliveryPartial = "partial" // some webhook batches confirmed, then a failure: a retry resumes after them
	DeliverySkipped = "skipped" // the same content had been delivered there: nothing was sent
)

// migrate7to8 adds the deliveries' table, inside the caller's transaction, and carries over what version 7
// knew of them: the exports table's rows of audiences (a version whose method is audience), each one an
// ok delivery of that version to its path or label (postgres:TABLE, webhook:$VAR). The exports table
// did not record the destination's name, its counts or failures, so destination and target both hold the
// path, the counts are NULL and via is "migrated". The exports rows stay: files' retries still read them.
func (s *Store) migrate7to8(ctx context.Context) error {
	if err := s.db.Exec(ctx, deliveriesDDL); err != nil {
		return err
	}
	return s.db.Exec(ctx, `INSERT INTO segrun_store.deliveries `+carriedOverDeliveries)
}

// carriedOverDeliveries are the deliveries version 7 knew of, as the migration carries them over: a
// reader of a version 7 store (which does not upgrade it) lists them too, so that segrun deliveries does
// not say a store that delivered files records no deliveries.
const carriedOverDeliveries = `SELECT e.segmentation || '/v' || e.run_id || '/' || e.path AS delivery_id, e.segmentation AS audience,
		e.path AS destination, e.path AS target, e.run_id, r.run_key,
		CASE WHEN e.changes THEN 'changes' ELSE 'full' END AS mode, NULL::VARCHAR AS content_key, NULL::BIGINT AS entered,
		NULL::BIGINT AS exited, NULL::BIGINT AS members, NULL::INTEGER AS batches_confirmed, 'ok' AS status, NULL::VARCHAR AS error,
		'migrated' AS via, e.written_at AS started_at, e.written_at AS finished_at
	FROM segrun_store.exports e
	JOIN (SELECT DISTINCT run_id, segmentation FROM segrun_store.segmentation_versions WHERE method LIKE 'audience%') v
		USING (run_id, segmentation)
	LEFT JOIN segrun_store.runs r USING (run_id)`

// DeliveryRecord is one row of the deliveries table.
type DeliveryRecord struct {
	// ID is AUDIENCE/vVERSION/DESTINATION: the same for every attempt at one version and destination.
	ID          string `json:"delivery_id"`
	Audience    string `json:"audience"`
	Destination string `json:"destination"`
	// Target is where it went: the file's path, postgres:TABLE or webhook:$URL_ENV (never a secret).
	Target string `json:"target"`
	// Run is the audience version delivered (the run that published it), RunKey that run's key.
	Run    int64  `json:"run_id"`
	RunKey string `json:"run_key,omitempty"`
	Mode   string `json:"mode"`
	// ContentKey identifies what was delivered (audience, destination, mode, run key, the rows): the
	// webhook's idempotency keys derive from it. Empty for files.
	ContentKey string `json:"content_key,omitempty"`
	// Entered, Exited and Members count the rows sent by this attempt (mode changes: entered and
	// exited; mode full: members). Nil when unknown (a migrated row).
	Entered *int64 `json:"entered,omitempty"`
	Exited  *int64 `json:"exited,omitempty"`
	Members *int64 `json:"members,omitempty"`
	// Batches counts the webhook batches confirmed for this content, by this attempt and those before.
	Batches  *int      `json:"batches_confirmed,omitempty"`
	Status   string    `json:"status"`
	Error    string    `json:"error,omitempty"`
	Via      string    `json:"via"` // run, deliver or migrated
	Started  time.Time `json:"started_at"`
	Finished time.Time `json:"finished_at"`
}

// errNoDeliveries is a store too old to record deliveries.
var errNoDeliveries = errors.New("this store's schema predates deliveries: open it for writing to upgrade it")

// RecordDelivery appends one attempt.
func (s *Store) RecordDelivery(ctx context.Context, r DeliveryRecord) error {
	if s.version != 0 && s.version < 8 {
		return errNoDeliveries
	}
	return s.db.Exec(ctx, `INSERT INTO segrun_store.deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Audience, r.Destination, r.Target, r.Run, nullString(r.RunKey), r.Mode, nullString(r.ContentKey),
		r.Entered, r.Exited, r.Members, r.Batches, r.Status, nullString(r.Error), r.Via, r.Started.UTC(), r.Finished.UTC())
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const deliveryColumns = `delivery_id, audience, destination, target, run_id, coalesce(run_key, ''), mode, coalesce(content_key, ''),
	entered, exited, members, batches_confirmed, status, coalesce(error, ''), via, started_at, finished_at`

// Deliveries lists the recorded attempts, oldest first; audience "" lists every audience's, run 0 every
// version's. A store from before deliveries (read without upgrading it) lists what the upgrade would carry
// over.
func (s *Store) Deliveries(ctx context.Context, audience string, run int64) ([]DeliveryRecord, error) {
	from := "segrun_store.deliveries"
	if s.version != 0 && s.version < 8 {
		if !s.hasExportsTable(ctx) {
			return nil, nil // older still: no export was recorded
		}
		from = "(" + carriedOverDeliveries + ")"
	}
	return s.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM `+from+` d
		WHERE (? = '' OR audience = ?) AND (? = 0 OR run_id = ?) ORDER BY started_at, run_id, destination`, audience, audience, run, run)
}

// hasExportsTable says whether a store from before deliveries has the exports table (stores before
// version 3 did not; a write creates it).
func (s *Store) hasExportsTable(ctx context.Context) bool {
	var n int64
	err := s.db.QueryRow(ctx, "SELECT count(*) FROM (SELECT 1 FROM segrun_store.exports LIMIT 1)").Scan(&n)
	return err == nil
}

// LastDelivery is the latest attempt at delivering content key to destination of audience, nil when none:
// ok or skipped means it need not be sent again, partial how many batches a retry skips.
func (s *Store) LastDelivery(ctx context.Context, audience, destination, contentKey string) (*DeliveryRecord, error) {
	if s.version != 0 && s.version < 8 {
		return nil, nil
	}
	rs, err := s.queryDeliveries(ctx, `SELECT `+deliveryColumns+` FROM segrun_store.deliveries
		WHERE audience = ? AND destination = ? AND content_key = ? ORDER BY started_at DESC LIMIT 1`, audience, destination, contentKey)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return &rs[0], nil
}

func (s *Store) queryDeliveries(ctx context.Context, q string, args ...any) ([]DeliveryRecord, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeliveryRecord
	for rows.Next() {
		var r DeliveryRecord
		var entered, exited, members stdsql.NullInt64
		var batches stdsql.NullInt32
		if err := rows.Scan(&r.ID, &r.Audience, &r.Destination, &r.Target, &r.Run, &r.RunKey, &r.Mode, &r.ContentKey,
			&entered, &exited, &members, &batches, &r.Status, &r.Error, &r.Via, &r.Started, &r.Finished); err != nil {
			return nil, err
		}
		r.Entered, r.Exited, r.Members = nullInt(entered), nullInt(exited), nullInt(members)
		if batches.Valid {
			b := int(batches.Int32)
			r.Batches = &b
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func nullInt(n stdsql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

// Audiences are the names of the audiences any version published (rolled back ones too: their deliveries
// are listed), for a reader asked about one the store never had.
func (s *Store) Audiences(ctx context.Context) ([]string, error) {
	return s.texts(ctx, `SELECT DISTINCT segmentation FROM segrun_store.segmentation_versions WHERE method LIKE 'audience%' ORDER BY 1`)
}
