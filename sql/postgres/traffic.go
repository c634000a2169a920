package postgres

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Traffic is what crossed the network between segrun and the server during a run, and how long segrun
// waited on the server: the proof that the engine computes where the data is (docs/engines.md, "What
// crosses the network").
type Traffic struct {
	// RowsPulled are the rows the server sent back: PullArrow's COPY TO rows and every row of every
	// statement that returns rows (a Query's, a QueryRow's, a count's). CREATE TABLE AS, INSERT ... SELECT
	// and the like return none: their rows stay in the server.
	RowsPulled int64 `json:"rows_pulled"`
	// BytesPulled are the bytes read from the server's socket: rows, and also the protocol's own messages
	// (statement descriptions, command tags, notices), so never less than what the rows take.
	BytesPulled int64 `json:"bytes_pulled"`
	// RowsPushed are the rows sent to the server by COPY FROM (pgx's CopyFrom).
	RowsPushed int64 `json:"rows_pushed"`
	// BytesPushed are the bytes written to the server's socket: statements' text, bound values, COPY data.
	BytesPushed int64 `json:"bytes_pushed"`
	// Statements are the statements sent (Query, QueryRow, Exec, and each COPY).
	Statements int64 `json:"statements"`
	// ServerSeconds is the time segrun spent blocked on the server's socket, waiting for its answer (or
	// for a write to be taken): the server's computing and the network's transfer, with segrun idle.
	ServerSeconds float64 `json:"server_seconds"`
}

// Add is t and u summed: the engine's connection and the store's.
func (t Traffic) Add(u Traffic) Traffic {
	return Traffic{RowsPulled: t.RowsPulled + u.RowsPulled, BytesPulled: t.BytesPulled + u.BytesPulled,
		RowsPushed: t.RowsPushed + u.RowsPushed, BytesPushed: t.BytesPushed + u.BytesPushed,
		Statements: t.Statements + u.Statements, ServerSeconds: t.ServerSeconds + u.ServerSeconds}
}

// Meter counts a connection's Traffic: its dialer wraps the socket (bytes, and the time blocked in a read
// or write) and its tracer reads each statement's command tag (rows). Counters, read once at the end of a
// run; pgx reads in the background while it writes, so they are safe for concurrent use.
type Meter struct {
	rowsPulled, bytesPulled, rowsPushed, bytesPushed, statements atomic.Int64

	mu sync.Mutex
	// busy counts the reads and writes in progress; since is when busy last left 0, and blocked sums the
	// time it was above 0 (the union: a background read during a write counts once).
	busy    int
	since   time.Time
	blocked time.Duration
}

// Traffic is what the meter counted so far.
func (m *Meter) Traffic() Traffic {
	if m == nil {
		return Traffic{}
	}
	m.mu.Lock()
	blocked := m.blocked
	if m.busy > 0 {
		blocked += time.Since(m.since)
	}
	m.mu.Unlock()
	return Traffic{RowsPulled: m.rowsPulled.Load(), BytesPulled: m.bytesPulled.Load(), RowsPushed: m.rowsPushed.Load(),
		BytesPushed: m.bytesPushed.Load(), Statements: m.statements.Load(), ServerSeconds: blocked.Seconds()}
}

// Configure makes the connections cfg opens count in m: their socket is wrapped (under TLS, if any: the
// bytes are those on the wire) and their statements traced. A store opened with it
// (store.OpenPostgres's option) counts in the run's traffic.
func (m *Meter) Configure(cfg *pgx.ConnConfig) {
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &meteredConn{Conn: c, m: m}, nil
	}
	cfg.Tracer = m
}

func (m *Meter) enter() {
	m.mu.Lock()
	if m.busy == 0 {
		m.since = time.Now()
	}
	m.busy++
	m.mu.Unlock()
}

func (m *Meter) leave() {
	m.mu.Lock()
	m.busy--
	if m.busy == 0 {
		m.blocked += time.Since(m.since)
	}
	m.mu.Unlock()
}

// meteredConn is the server's socket, counted.
type meteredConn struct {
	net.Conn
	m *Meter
}

func (c *meteredConn) Read(b []byte) (int, error) {
	c.m.enter()
	n, err := c.Conn.Read(b)
	c.m.leave()
	c.m.bytesPulled.Add(int64(n))
	return n, err
}

func (c *meteredConn) Write(b []byte) (int, error) {
	c.m.enter()
	n, err := c.Conn.Write(b)
	c.m.leave()
	c.m.bytesPushed.Add(int64(n))
	return n, err
}

type statementKey struct{}

// TraceQueryStart keeps the statement's text for TraceQueryEnd.
func (m *Meter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	m.statements.Add(1)
	return context.WithValue(ctx, statementKey{}, data.SQL)
}

// TraceQueryEnd counts the rows a statement returned. PostgreSQL tags a SELECT's result "SELECT n", and
// also CREATE TABLE AS's and SELECT INTO's, whose n rows stayed in the server: those begin with CREATE or
// are SELECT ... INTO, which segrun never sends.
func (m *Meter) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	q, _ := ctx.Value(statementKey{}).(string)
	if data.CommandTag.Select() && returnsRows(q) {
		m.rowsPulled.Add(data.CommandTag.RowsAffected())
	}
}

// returnsRows says whether a statement whose tag is SELECT n sent its rows: not CREATE TABLE ... AS
// (nor CREATE MATERIALIZED VIEW, tagged SELECT n too).
func returnsRows(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n(")
	return !(len(q) >= 6 && strings.EqualFold(q[:6], "CREATE"))
}

// TraceCopyFromStart counts a COPY FROM.
func (m *Meter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	m.statements.Add(1)
	return ctx
}

// TraceCopyFromEnd counts the rows a COPY FROM pushed.
func (m *Meter) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	if data.Err == nil {
		m.rowsPushed.Add(data.CommandTag.RowsAffected())
	}
}

// copiedOut counts a COPY TO's rows (PullArrow's), which pgx's tracers do not see.
func (m *Meter) copiedOut(tag pgconn.CommandTag) {
	if m == nil {
		return
	}
	m.statements.Add(1)
	m.rowsPulled.Add(tag.RowsAffected())
}

// copiedIn counts a low-level COPY FROM's rows (PushArrow's), which pgx's tracers do not see either.
func (m *Meter) copiedIn(tag pgconn.CommandTag) {
	if m == nil {
		return
	}
	m.statements.Add(1)
	m.rowsPushed.Add(tag.RowsAffected())
}

// Traffic is what crossed the run's connection so far, and the store's (StoreConnection).
func (d *DB) Traffic() Traffic { return d.meter.Traffic() }

// StoreConnection configures the store's connection (store.OpenPostgres's option) as the engine's own:
// the same session settings (session.go), and counted in the run's Traffic, since it publishes in the
// same database.
func (d *DB) StoreConnection(cfg *pgx.ConnConfig) {
	configureSession(cfg)
	d.meter.Configure(cfg)
}
