// Package destinations delivers an audience's version to systems outside segrun: a PostgreSQL table and
// a webhook (files are the runner's own destinations). Each kind is a Destination that applies one
// Delivery idempotently: a delivery has an id that is the same every time the same version is delivered
// to the same destination, and the receiving side records it (a table in PostgreSQL, an Idempotency-Key
// per batch for a webhook), so a retry after a failure, by rerunning the run key or by segrun deliver,
// never applies anything twice.
//
// The runner builds a Delivery from a published audience version (its members for mode full, the
// version's entered and exited for mode changes) and calls Deliver after publishing; what was sent is
// recorded in the store by the caller from the returned Result.
package destinations

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
)

// Modes of a delivery: every current member, or only the version's changes.
const (
	ModeFull    = "full"
	ModeChanges = "changes"
)

// Events of a row: a member (mode full), or an entry or exit (mode changes).
const (
	EventMember  = "member"
	EventEntered = "entered"
	EventExited  = "exited"
)

// Row is one entity of a delivery: its group in the audience (treatment or control) and, in mode
// changes, whether it entered or exited with this version. In mode full every row is EventMember.
type Row struct {
	Entity string
	Group  string
	Event  string
}

// Delivery is one audience version sent to one destination.
type Delivery struct {
	// ID is the same for every attempt at delivering this version to this destination (see DeliveryID).
	ID string
	// Key identifies the content delivered (see ContentKey): a webhook's idempotency keys derive from it,
	// so a forced rerun that publishes a new version with the same rows reuses them. Empty: ID stands in.
	Key      string
	Audience string
	Version  int64
	Mode     string
	// Rows yields the rows in a stable order (by entity), so that a retried delivery cuts the same
	// batches; an error ends the delivery without applying anything (PostgreSQL) or after the batches
	// already sent (webhook).
	Rows iter.Seq2[Row, error]
}

// DeliveryID is the id of delivering version of audience to destination: stable across retries, distinct
// across versions and destinations.
func DeliveryID(audience string, version int64, destination string) string {
	return fmt.Sprintf("%s/v%d/%s", audience, version, destination)
}

// ContentKey identifies what a delivery sends, not which version id carries it: the audience, the
// destination, the mode, the identity of the run that made it (its run key, or the version id when it has
// none) and digest, a hash of the rows in order. Rerunning a run key with --force publishes a new version
// id; when its rows are the same the key is the same, so nothing is sent twice. The run key keeps two runs
// whose rows happen to match (a customer who left and came back) from being taken for one delivery.
func ContentKey(audience, destination, mode, identity, digest string) string {
	h := sha256.Sum256([]byte(audience + "\x00" + destination + "\x00" + mode + "\x00" + identity + "\x00" + digest))
	return hex.EncodeToString(h[:16])
}

// Result is what a delivery did, for the store's record and the run's summary.
type Result struct {
	// Upserted counts the members written (entered or current), Exited the members deleted or flagged.
	Upserted int64 `json:"upserted"`
	Exited   int64 `json:"exited"`
	// Batches counts the webhook batches the receiver acknowledged.
	Batches int `json:"batches,omitempty"`
	// AlreadyApplied says the destination had recorded this delivery id before: nothing was applied.
	AlreadyApplied bool `json:"already_applied,omitempty"`
}

// Destination applies a delivery; applying one already applied changes nothing.
type Destination interface {
	Deliver(ctx context.Context, d Delivery) (Result, error)
}

// SliceRows yields rows from a slice, for small deliveries and tests.
func SliceRows(rows []Row) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for _, r := range rows {
			if !yield(r, nil) {
				return
			}
		}
	}
}
