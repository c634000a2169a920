package destinations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a webhook endpoint that applies each Idempotency-Key once and answers the n-th request of
// a batch as script says (200 when it says nothing).
type receiver struct {
	mu       sync.Mutex
	script   func(batch, attempt int, w http.ResponseWriter, r *http.Request) bool // true: answered
	attempts map[int]int
	applied  map[string]WebhookBatch
	keys     []string
}

func newReceiver(t *testing.T, script func(batch, attempt int, w http.ResponseWriter, r *http.Request) bool) (*receiver, *httptest.Server) {
	rc := &receiver{script: script, attempts: map[int]int{}, applied: map[string]WebhookBatch{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b WebhookBatch
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		key := r.Header.Get("Idempotency-Key")
		if key != b.IdempotencyKey {
			http.Error(w, "key differs from the body's", http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		rc.attempts[b.Batch]++
		n := rc.attempts[b.Batch]
		rc.mu.Unlock()
		if rc.script != nil && rc.script(b.Batch, n, w, r) {
			return
		}
		rc.mu.Lock()
		if _, ok := rc.applied[key]; !ok {
			rc.applied[key] = b
			rc.keys = append(rc.keys, key)
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

// events counts the events the receiver applied.
func (rc *receiver) events() int {
	n := 0
	for _, b := range rc.applied {
		n += len(b.Events)
	}
	return n
}

func changeRows(n int) []Row {
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{Entity: fmt.Sprintf("c%05d", i), Group: "treatment", Event: EventEntered}
		if i%3 == 0 {
			rows[i].Event, rows[i].Group = EventExited, "control"
		}
	}
	return rows
}

func newWebhook(url string, cfg WebhookConfig, sleeps *[]time.Duration) *Webhook {
	cfg.URLEnv = "HOOK_URL"
	return &Webhook{Name: "hook", Config: cfg,
		Getenv: func(k string) string { return map[string]string{"HOOK_URL": url}[k] },
		Jitter: func() float64 { return 0 },
		Now:    func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Sleep: func(_ context.Context, d time.Duration) error {
			*sleeps = append(*sleeps, d)
			return nil
		}}
}

func hookDelivery(rows []Row) Delivery {
	return Delivery{ID: DeliveryID("winback", 7, "hook"), Audience: "winback", Version: 7, Mode: ModeChanges, Rows: SliceRows(rows)}
}

// Batches that fail with a 503, a 429 with Retry-After, and a timeout are retried with the backoff (or
// the wait the server asked for) until acknowledged; every event arrives once, in batches of the
// configured size, with the documented payload.
func TestWebhookRetriesTransientFailures(t *testing.T) {
	rc, srv := newReceiver(t, func(batch, attempt int, w http.ResponseWriter, r *http.Request) bool {
		switch {
		case batch == 0 && attempt == 1:
			http.Error(w, "try later", http.StatusServiceUnavailable)
		case batch == 0 && attempt == 2:
			http.Error(w, "oops", http.StatusBadGateway)
		case batch == 1 && attempt == 1:
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case batch == 2 && attempt == 1:
			w.Header().Set("Retry-After", "Thu, 01 Jan 2026 00:00:03 GMT")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case batch == 2 && attempt == 2:
			<-r.Context().Done() // until the client gives up: a timeout
		default:
			return false
		}
		return true
	})
	var sleeps []time.Duration
	w := newWebhook(srv.URL, WebhookConfig{Batch: 500, MaxAttempts: 5}, &sleeps)
	w.Client = &http.Client{Timeout: 200 * time.Millisecond}
	res, err := w.Deliver(context.Background(), hookDelivery(changeRows(1250)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches != 3 || res.Upserted != 833 || res.Exited != 417 {
		t.Errorf("result %+v", res)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 7 * time.Second, 3 * time.Second, 500 * time.Millisecond}
	if !reflect.DeepEqual(sleeps, want) {
		t.Errorf("waits %v, want %v", sleeps, want)
	}
	if len(rc.applied) != 3 || rc.events() != 1250 {
		t.Fatalf("applied %d batches, %d events", len(rc.applied), rc.events())
	}
	first := rc.applied[IdempotencyKey(DeliveryID("winback", 7, "hook"), 0)]
	if first.DeliveryID != "winback/v7/hook" || first.Audience != "winback" || first.Version != 7 || first.Mode != ModeChanges ||
		len(first.Events) != 500 || first.Events[0] != (WebhookEvent{Entity: "c00000", Group: "control", Event: EventExited}) {
		t.Errorf("first batch: %+v", first.Events[:1])
	}
}

// The same delivery sent again carries the same keys, so the receiver applies nothing twice; a delivery
// of another version carries others. SkipBatches resumes after the acknowledged batches.
func TestWebhookIdempotencyKeysAreStable(t *testing.T) {
	rc, srv := newReceiver(t, nil)
	var sleeps []time.Duration
	w := newWebhook(srv.URL, WebhookConfig{Batch: 100}, &sleeps)
	for range 2 {
		if _, err := w.Deliver(context.Background(), hookDelivery(changeRows(250))); err != nil {
			t.Fatal(err)
		}
	}
	if len(rc.keys) != 3 || rc.events() != 250 {
		t.Errorf("two identical deliveries applied %d batches, %d events", len(rc.keys), rc.events())
	}
	d := hookDelivery(changeRows(250))
	d.ID = DeliveryID("winback", 8, "hook")
	if _, err := w.Deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if len(rc.keys) != 6 {
		t.Errorf("another version's delivery: %d batches applied in all", len(rc.keys))
	}
	rc.attempts = map[int]int{}
	w.SkipBatches = 2
	d.ID = DeliveryID("winback", 9, "hook")
	res, err := w.Deliver(context.Background(), d)
	if err != nil || res.Batches != 3 || rc.attempts[0] != 0 || rc.attempts[1] != 0 || rc.attempts[2] != 1 {
		t.Errorf("resumed delivery: %+v %v, attempts %v", res, err, rc.attempts)
	}
}

// A 4xx other than 429 is not retried; a batch still failing after max_attempts fails the delivery with
// an error naming the destination, the batch and the last status.
func TestWebhookFailures(t *testing.T) {
	status := http.StatusUnprocessableEntity
	_, srv := newReceiver(t, func(batch, attempt int, w http.ResponseWriter, r *http.Request) bool {
		if batch == 1 {
			http.Error(w, "no", status)
			return true
		}
		return false
	})
	var sleeps []time.Duration
	w := newWebhook(srv.URL, WebhookConfig{Batch: 10, MaxAttempts: 3}, &sleeps)
	_, err := w.Deliver(context.Background(), hookDelivery(changeRows(30)))
	var we *WebhookError
	if !errors.As(err, &we) || we.Batch != 1 || we.Attempts != 1 || we.Status != 422 || we.Sent != 1 || len(sleeps) != 0 {
		t.Fatalf("422: %v (waits %v)", err, sleeps)
	}
	status = http.StatusInternalServerError
	_, err = w.Deliver(context.Background(), hookDelivery(changeRows(30)))
	if !errors.As(err, &we) || we.Batch != 1 || we.Attempts != 3 || we.Status != 500 {
		t.Fatalf("500: %v", err)
	}
	for _, s := range []string{"destination hook", "batch 1", "3 attempt(s)", "last status 500"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not say %q", err, s)
		}
	}
	if want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}; !reflect.DeepEqual(sleeps, want) {
		t.Errorf("waits %v, want %v", sleeps, want)
	}
	w.Getenv = func(string) string { return "" }
	if _, err := w.Deliver(context.Background(), hookDelivery(nil)); err == nil || !strings.Contains(err.Error(), "HOOK_URL") || !strings.Contains(err.Error(), "hook") {
		t.Errorf("missing variable: %v", err)
	}
}

// The backoff doubles from 500ms, capped at 30s, times a jitter between 0.5 and 1.
func TestWebhookBackoff(t *testing.T) {
	w := &Webhook{Jitter: func() float64 { return 0.999999 }}
	for n, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 4: 4 * time.Second, 7: 30 * time.Second, 40: 30 * time.Second} {
		if got := w.backoff(n); got > want || got < want*99/100 {
			t.Errorf("backoff(%d) = %v, want about %v", n, got, want)
		}
	}
}
