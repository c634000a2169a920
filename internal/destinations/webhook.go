package destinations

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"time"
)

// WebhookConfig is a destination's webhook: block. The URL (which often carries a token) is read from
// the environment variable it names, never from the spec.
type WebhookConfig struct {
	URLEnv string `yaml:"url_env" json:"url_env"`
	// Batch is the most events per request (default 500).
	Batch int `yaml:"batch" json:"batch"`
	// MaxAttempts is how many times one batch is tried before the delivery fails (default 5).
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// Timeout bounds one request, as a Go duration (default 30s); a request that times out is retried.
	Timeout string `yaml:"timeout" json:"timeout"`
}

// Defaults of a webhook destination, and the bounds of its backoff.
const (
	DefaultWebhookBatch       = 500
	DefaultWebhookMaxAttempts = 5
	DefaultWebhookTimeout     = 30 * time.Second
	webhookBackoffBase        = 500 * time.Millisecond
	webhookBackoffMax         = 30 * time.Second
	webhookRetryAfterMax      = 5 * time.Minute
)

// WebhookEvent is one entity in a batch.
type WebhookEvent struct {
	Entity string `json:"entity"`
	Group  string `json:"group"`
	// Event is entered or exited (mode changes), or member (mode full).
	Event string `json:"event"`
}

// WebhookBatch is the JSON body of one request:
//
//	{"delivery_id": "winback/v7/hook", "audience": "winback", "version": 7, "mode": "changes",
//	 "batch": 0, "idempotency_key": "…", "events": [{"entity": "C1", "group": "treatment", "event": "entered"}, …]}
//
// batch counts from 0 in entity order; the same delivery cuts the same batches, and each carries the
// key sent in its Idempotency-Key header.
type WebhookBatch struct {
	DeliveryID     string         `json:"delivery_id"`
	Audience       string         `json:"audience"`
	Version        int64          `json:"version"`
	Mode           string         `json:"mode"`
	Batch          int            `json:"batch"`
	IdempotencyKey string         `json:"idempotency_key"`
	Events         []WebhookEvent `json:"events"`
}

// IdempotencyKey is the key of batch i of a delivery whose content key (ContentKey) is key: the same on
// every attempt, every retry and every forced rerun sending the same rows, so a receiver that remembers
// keys applies each batch once.
func IdempotencyKey(key string, batch int) string {
	h := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(batch)))
	return hex.EncodeToString(h[:16])
}

// Webhook delivers to an HTTP endpoint: POST of JSON batches, each retried with exponential backoff and
// jitter on a 5xx, a 429 (after its Retry-After when given), a timeout or a broken connection; any other
// 4xx fails at once (the request is wrong and would stay wrong).
type Webhook struct {
	Name   string
	Config WebhookConfig
	Getenv func(string) string
	// Client sends the requests; a client with Config's timeout when nil.
	Client *http.Client
	// Sleep waits between attempts, Now reads the time (for a Retry-After date), Jitter returns a number
	// in [0, 1); time.Sleep, time.Now and math/rand when nil. Tests inject them.
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Jitter func() float64
	// SkipBatches is how many batches a previous attempt of this delivery had acknowledged: they are not
	// sent again (the caller reads it from the store's record of the delivery).
	SkipBatches int
}

// WebhookError is a batch that failed after its attempts, or at once on a 4xx.
type WebhookError struct {
	Destination string
	Batch       int
	Attempts    int
	// Status is the last response's status code, 0 when the last attempt had no response.
	Status int
	Err    error
	// Sent counts the batches acknowledged before this one.
	Sent int
}

func (e *WebhookError) Error() string {
	last := fmt.Sprintf("last status %d", e.Status)
	if e.Status == 0 {
		last = "no response"
	}
	return fmt.Sprintf("destination %s: webhook batch %d failed after %d attempt(s), %s: %v (%d batch(es) before it were delivered)",
		e.Destination, e.Batch, e.Attempts, last, e.Err, e.Sent)
}

func (e *WebhookError) Unwrap() error { return e.Err }

// Deliver sends d's rows in batches, in order, each acknowledged (2xx) before the next is sent.
func (w *Webhook) Deliver(ctx context.Context, d Delivery) (Result, error) {
	var res Result
	getenv := w.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if w.Config.URLEnv == "" {
		return res, fmt.Errorf("destination %s: webhook: url_env names no environment variable", w.Name)
	}
	url := getenv(w.Config.URLEnv)
	if url == "" {
		return res, fmt.Errorf("destination %s: environment variable %s (its webhook url_env) is not set", w.Name, w.Config.URLEnv)
	}
	size := w.Config.Batch
	if size <= 0 {
		size = DefaultWebhookBatch
	}
	client := w.Client
	if client == nil {
		timeout := DefaultWebhookTimeout
		if w.Config.Timeout != "" {
			t, err := time.ParseDuration(w.Config.Timeout)
			if err != nil || t <= 0 {
				return res, fmt.Errorf("destination %s: webhook: timeout %q is not a positive duration", w.Name, w.Config.Timeout)
			}
			timeout = t
		}
		client = &http.Client{Timeout: timeout}
	}
	batch := WebhookBatch{DeliveryID: d.ID, Audience: d.Audience, Version: d.Version, Mode: d.Mode}
	flush := func() error {
		if len(batch.Events) == 0 {
			return nil
		}
		defer func() { batch.Events = batch.Events[:0]; batch.Batch++ }()
		if batch.Batch < w.SkipBatches {
			res.Batches++
			return nil
		}
		key := d.Key
		if key == "" {
			key = d.ID
		}
		batch.IdempotencyKey = IdempotencyKey(key, batch.Batch)
		if err := w.send(ctx, client, url, &batch, res.Batches); err != nil {
			return err
		}
		res.Batches++
		for _, ev := range batch.Events {
			if ev.Event == EventExited {
				res.Exited++
			} else {
				res.Upserted++
			}
		}
		return nil
	}
	for r, err := range d.Rows {
		if err != nil {
			return res, fmt.Errorf("destination %s: reading the rows of delivery %s: %w", w.Name, d.ID, err)
		}
		ev := r.Event
		if ev == "" {
			ev = EventMember
		}
		batch.Events = append(batch.Events, WebhookEvent{Entity: r.Entity, Group: r.Group, Event: ev})
		if len(batch.Events) == size {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	return res, nil
}

// send posts one batch until it is acknowledged, fails with a 4xx, or runs out of attempts.
func (w *Webhook) send(ctx context.Context, client *http.Client, url string, b *WebhookBatch, sent int) error {
	body, err := json.Marshal(b)
	if err != nil {
		return err
	}
	attempts := w.Config.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultWebhookMaxAttempts
	}
	fail := func(n, status int, err error) error {
		return &WebhookError{Destination: w.Name, Batch: b.Batch, Attempts: n, Status: status, Err: err, Sent: sent}
	}
	for n := 1; ; n++ {
		status, retryAfter, err := w.post(ctx, client, url, b.IdempotencyKey, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fail(n, status, ctx.Err())
		}
		retryable := status == 0 || status == http.StatusTooManyRequests || status >= 500
		if !retryable || n == attempts {
			return fail(n, status, err)
		}
		wait := w.backoff(n)
		if retryAfter > 0 {
			wait = min(retryAfter, webhookRetryAfterMax)
		}
		if err := w.sleep(ctx, wait); err != nil {
			return fail(n, status, err)
		}
	}
}

// post makes one attempt: the status (0 without a response), the wait the response asked for, and an
// error unless the status is 2xx.
func (w *Webhook) post(ctx context.Context, client *http.Client, url, key string, body []byte) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "segrun")
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, redactURL(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, 0, nil
	}
	return resp.StatusCode, w.retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
}

// redactURL drops the URL (which may hold a token) from a client error, keeping what went wrong.
func redactURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func (w *Webhook) retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		now := time.Now
		if w.Now != nil {
			now = w.Now
		}
		if d := t.Sub(now()); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is the wait after attempt n: base·2^(n-1), capped, times a jitter in [0.5, 1) so that many
// deliveries failing together do not retry together.
func (w *Webhook) backoff(n int) time.Duration {
	d := webhookBackoffBase << min(n-1, 16)
	d = min(d, webhookBackoffMax)
	j := rand.Float64
	if w.Jitter != nil {
		j = w.Jitter
	}
	return time.Duration(float64(d) * (0.5 + 0.5*j()))
}

func (w *Webhook) sleep(ctx context.Context, d time.Duration) error {
	if w.Sleep != nil {
		return w.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
