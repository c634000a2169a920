package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// Options are a database's resource settings; zero values leave DuckDB's defaults.
type Options struct {
	// MemoryLimit caps DuckDB's memory (for example "4GB"); above it, DuckDB spills to TempDir.
	MemoryLimit string
	// Threads bounds DuckDB's worker threads; 0 means DefaultThreads.
	Threads int
	// TempDir is where DuckDB spills when data exceeds memory.
	TempDir string
	// ReadOnly opens a database file without writing to it.
	ReadOnly bool
}

// minDefaultThreads is the fewest threads DuckDB gets by default. At two threads or fewer, DuckDB's hash
// aggregation grows one hash table per thread instead of partitioning into cache-sized tables
// (RadixHTConfig::GROW_STRATEGY_THREAD_THRESHOLD in DuckDB's source). On this project's 2-core machines that
// made a 9M-group SELECT DISTINCT take 1.6-1.9 s instead of 0.7 s, and the benchmark's RFM feature 2.25-2.46 s
// instead of 1.76-1.87 s; a third thread on two cores costs little elsewhere (loading a CSV took the same
// time). Two threads do peak lower on that feature (582-615 MB against 710-715 MB for the whole run):
// speed was chosen, --threads 2 trades it back. docs/development.md has the measurements.
const minDefaultThreads = 3

// DefaultThreads is how many threads DuckDB runs when Options.Threads is 0: one per CPU, and at least
// minDefaultThreads.
func DefaultThreads() int { return max(runtime.NumCPU(), minDefaultThreads) }

// DB is one DuckDB database with one pinned connection: DuckDB variables, temporary tables and attached
// databases belong to a connection, so all of a run's statements go through the same one.
type DB struct {
	db   *stdsql.DB
	conn *stdsql.Conn
	path string
	log  *slog.Logger
	// memoryLimit is the memory_limit in force, as DuckDB spells it, for ReleaseMemory.
	memoryLimit string
}

// SetLogger makes the database log every statement and its duration at debug level (segrun run --verbose).
func (d *DB) SetLogger(l *slog.Logger) { d.log = l }

// logged runs fn and logs the statement and how long it took.
func (d *DB) logged(query string, fn func() error) error {
	if d.log == nil || !d.log.Enabled(context.Background(), slog.LevelDebug) {
		return fn()
	}
	start := time.Now()
	err := fn()
	d.log.Debug("sql", "seconds", fmt.Sprintf("%.3f", time.Since(start).Seconds()), "statement", oneLine(query, 160))
	return err
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Open opens (creating if missing) the DuckDB database at path; "" opens an in-memory one.
func Open(ctx context.Context, path string, o Options) (*DB, error) {
	dsn := path
	if o.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, openError(path, err)
	}
	db := stdsql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	d := &DB{db: db, conn: conn, path: path}
	// jemalloc's background threads return memory DuckDB has freed to the system while the run goes on:
	// without them the benchmark run's peak was 60-130 MB higher, as Go's clustering allocated on top of
	// what the RFM aggregate had released, at no measurable cost in time.
	settings := []struct {
		name, value string
	}{{"memory_limit", o.MemoryLimit}, {"temp_directory", o.TempDir}, {"allocator_background_threads", "true"}}
	threads := o.Threads
	if threads <= 0 {
		threads = DefaultThreads()
	}
	settings = append(settings, struct{ name, value string }{"threads", fmt.Sprint(threads)})
	for _, s := range settings {
		if s.value == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET %s = %s", s.name, Literal(s.value))); err != nil {
			d.Close()
			return nil, fmt.Errorf("setting %s to %q: %w", s.name, s.value, err)
		}
	}
	// ReleaseMemory sets the limit in force again: the one given, else DuckDB's default (80% of RAM), which
	// is pinned here as DuckDB prints it (to 0.1 GiB) so that the whole run has the one limit.
	d.memoryLimit = o.MemoryLimit
	if d.memoryLimit == "" {
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&d.memoryLimit); err != nil {
			d.Close()
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, "SET memory_limit = "+Literal(d.memoryLimit)); err != nil {
			d.Close()
			return nil, fmt.Errorf("setting memory_limit to %q: %w", d.memoryLimit, err)
		}
	}
	return d, nil
}

// ReleaseMemory returns the memory DuckDB has freed to the system now, rather than when jemalloc's
// background threads get to it. Setting memory_limit is DuckDB's one way to ask for that from outside:
// after applying a limit, its buffer pool flushes the allocator (BufferPool::SetLimit calls
// Allocator::FlushAll), so the same limit is set again. Measured on the benchmark's RFM feature: 657 MB
// resident after the count(DISTINCT) aggregate had finished and freed its tables, 96 MB after this, in
// 0.1 s; left alone, the next step's allocations landed on top and the run peaked 15-50 MB above the
// aggregate's own peak (docs/development.md).
func (d *DB) ReleaseMemory(ctx context.Context) error {
	return d.Exec(ctx, "SET memory_limit = "+Literal(d.memoryLimit))
}

// ErrLocked is returned when another process holds the database file.
var ErrLocked = errors.New("database is in use by another process")

func openError(path string, err error) error {
	if isLockError(err) {
		return fmt.Errorf("%s: %w: %s (%v)", path, ErrLocked, lockHolder(err), firstLine(err.Error()))
	}
	return fmt.Errorf("opening %s: %w", path, err)
}

// lockHolderPattern finds the process holding a file in DuckDB's lock error: "Conflicting lock is held in
// /usr/bin/duckdb (PID 1234) by user ...".
var lockHolderPattern = regexp.MustCompile(`held in (.+?) \(PID (\d+)\)`)

// lockHolder says who holds a database file, from DuckDB's lock error: a segrun run, or another program (a
// DuckDB client, a notebook) named with its process id, since holding the store with a DuckDB client
// blocks runs just as another run does.
func lockHolder(err error) string {
	m := lockHolderPattern.FindStringSubmatch(err.Error())
	if m == nil {
		return "held by another process (a segrun run or a DuckDB client)"
	}
	if strings.Contains(strings.ToLower(filepath.Base(m[1])), "segrun") {
		return fmt.Sprintf("held by another segrun run (PID %s)", m[2])
	}
	return fmt.Sprintf("held by %s (PID %s), a DuckDB client or another program: close it", m[1], m[2])
}

// Close releases the connection and the database.
func (d *DB) Close() error {
	if d == nil {
		return nil
	}
	return errors.Join(d.conn.Close(), d.db.Close())
}

// Conn is the pinned connection, for the few callers that need driver-level access.
func (d *DB) Conn() *stdsql.Conn { return d.conn }

// Exec runs statements that return no rows.
func (d *DB) Exec(ctx context.Context, query string, args ...any) error {
	return d.logged(query, func() error {
		_, err := d.conn.ExecContext(ctx, query, args...)
		return err
	})
}

// QueryRow runs a query returning one row, for metadata and counts (never bulk data).
func (d *DB) QueryRow(ctx context.Context, query string, args ...any) *stdsql.Row {
	return d.conn.QueryRowContext(ctx, query, args...)
}

// Query runs a query for small results: metadata, samples, summaries (never bulk data, which moves as Arrow).
func (d *DB) Query(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	return d.conn.QueryContext(ctx, query, args...)
}

// SetVariable sets a DuckDB variable of the given type, read in SQL with getvariable(name). The value is
// bound as a parameter, never pasted into SQL text.
func (d *DB) SetVariable(ctx context.Context, name, duckType string, value any) error {
	return d.Exec(ctx, "SET VARIABLE "+Ident(name)+" = CAST(? AS "+duckType+")", value)
}
