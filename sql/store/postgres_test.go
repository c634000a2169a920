package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
	"github.com/segrun/segrun/sql/store/storetest"
)

// server is one PostgreSQL server the package's tests share (each test its own schemas), started by the
// first test that asks and stopped by TestMain: initdb and start take a second or two each.
var server struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

func pgServer(t testing.TB) *pgtest.Server {
	t.Helper()
	server.once.Do(func() { server.srv, server.err = pgtest.Start() })
	if server.err != nil {
		if pgtest.IsMissing(server.err) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v", server.err)
		}
		t.Fatalf("pgtest: %v", server.err)
	}
	return server.srv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if server.srv != nil {
		server.srv.Stop()
	}
	os.Exit(code)
}

// relations are every table and view of the store, each read whole, with a column that may differ
// between two publications of the same history (when it was published or written) set aside.
var relations = []string{"segrun_meta", "runs", "segmentation_versions", "segments", "transitions", "exports",
	"kpi_values", "model_versions", "measurements", "segment_codes", "membership_intervals",
	"memberships", "changes", "current_memberships", "moves", "kpi_comparison"}

// pgStore is a PostgreSQL server with a store in schema segrun_fixture and a workspace schema.
type pgStore struct {
	dsn string
	st  *store.Store
	ws  *pgx.Conn // a connection whose search_path is the workspace schema, for the versions' tables
}

func newPGStore(t *testing.T, srv *pgtest.Server, schema, workspace string) *pgStore {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenPostgres(ctx, srv.DSN, schema, store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ws, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close(context.Background()) })
	for _, q := range []string{"CREATE SCHEMA IF NOT EXISTS " + sql.Ident(workspace), "SET search_path TO " + sql.Ident(workspace)} {
		if _, err := ws.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UseWorkspaceSchema(ctx, workspace); err != nil {
		t.Fatal(err)
	}
	return &pgStore{dsn: srv.DSN, st: st, ws: ws}
}

func (p *pgStore) exec(ctx context.Context, q string) error {
	_, err := p.ws.Exec(ctx, q)
	return err
}

// duckStore is a DuckDB store attached to an in-memory workspace.
func duckStore(t *testing.T, path string) (*sql.DB, *store.Store) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := store.Attach(ctx, db, path, store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	return db, st
}

// normalise writes a value as text the same way whichever database and driver read it: numbers by value,
// times in UTC, JSON documents re-encoded with sorted keys.
func normalise(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return normaliseText(string(x))
	case string:
		return normaliseText(x)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v) // a JSON value a driver decoded
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// normaliseText re-encodes text that is a JSON object or array (json.Marshal sorts keys).
func normaliseText(s string) string {
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	return s
}

// The timestamps a publication sets itself, set to one value before two stores are compared.
var normalisations = []string{
	"UPDATE segrun_store.runs SET published_at = TIMESTAMP '2024-06-01 00:00:00'",
	"UPDATE segrun_store.exports SET written_at = TIMESTAMP '2024-06-01 00:00:00'",
}

// dumpDuck reads every relation of a DuckDB store (and memberships_as_of at every version), rows sorted.
func dumpDuck(t *testing.T, db *sql.DB, relations []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	for _, q := range normalisations {
		if err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][]string{}
	read := func(name, q string) {
		rows, err := db.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], joinRow(vals))
		}
		slices.Sort(out[name])
	}
	for _, r := range relations {
		read(r, "SELECT * FROM segrun_store."+r)
	}
	if err := db.Exec(ctx, "USE segrun_store"); err != nil {
		t.Fatal(err)
	}
	defer db.Exec(ctx, "USE memory")
	for run := int64(0); run <= 6; run++ {
		read(fmt.Sprintf("memberships_as_of(%d)", run), fmt.Sprintf("SELECT * FROM memberships_as_of(%d)", run))
	}
	return out
}

// dumpPG reads every relation of the PostgreSQL store in schema, as dumpDuck does.
func dumpPG(t *testing.T, dsn, schema string, relations []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, q := range normalisations {
		if _, err := c.Exec(ctx, strings.ReplaceAll(q, "segrun_store.", sql.Ident(schema)+".")); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string][]string{}
	read := func(name, q string) {
		rows, err := c.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			out[name] = append(out[name], joinRow(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		slices.Sort(out[name])
	}
	for _, r := range relations {
		read(r, "SELECT * FROM "+sql.Ident(schema)+"."+r)
	}
	for run := int64(0); run <= 6; run++ {
		read(fmt.Sprintf("memberships_as_of(%d)", run), fmt.Sprintf("SELECT * FROM %s.memberships_as_of(%d)", sql.Ident(schema), run))
	}
	return out
}

func joinRow(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = normalise(v)
	}
	return strings.Join(parts, " | ")
}

// compareDumps fails for every relation whose rows differ.
func compareDumps(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	for name, rows := range want {
		if !slices.Equal(rows, got[name]) {
			t.Errorf("%s: %s differs\nwant %d rows:\n  %s\ngot %d rows:\n  %s", what, name, len(rows), strings.Join(rows, "\n  "),
				len(got[name]), strings.Join(got[name], "\n  "))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s only in the second", what, name)
		}
	}
}

// The same history published to a DuckDB store and to a PostgreSQL one leaves the same rows in every
// table and view, and memberships_as_of answers the same at every version.
func TestPostgresStoreHoldsWhatDuckDBHolds(t *testing.T) {
	ctx := context.Background()
	srv := pgServer(t)
	db, dst := duckStore(t, filepath.Join(t.TempDir(), "segrun.duckdb"))
	if err := storetest.Publish(ctx, dst, func(ctx context.Context, q string) error { return db.Exec(ctx, q) }); err != nil {
		t.Fatal(err)
	}
	p := newPGStore(t, srv, "segrun_holds", "segrun_run_holds")
	if err := storetest.Publish(ctx, p.st, p.exec); err != nil {
		t.Fatal(err)
	}
	// Every table and view the DuckDB store has, also one added after this test was written.
	all := slices.Clone(relations)
	rows, err := db.Query(ctx, `SELECT table_name FROM duckdb_tables() WHERE database_name = 'segrun_store'
		UNION SELECT view_name FROM duckdb_views() WHERE database_name = 'segrun_store'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(all, name) {
			all = append(all, name)
		}
	}
	rows.Close()
	want := dumpDuck(t, db, all)
	for _, name := range relations {
		if len(want[name]) == 0 {
			t.Errorf("the fixture leaves %s empty: it would compare nothing", name)
		}
	}
	compareDumps(t, "DuckDB against PostgreSQL", want, dumpPG(t, srv.DSN, "segrun_holds", all))

	// The readers answer the same from both.
	for _, run := range storetest.Published {
		for _, seg := range []string{"tier", "tags"} {
			a, errA := dst.SegmentStats(ctx, run, seg)
			b, errB := p.st.SegmentStats(ctx, run, seg)
			if errA != nil || errB != nil || fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("SegmentStats(%d, %s): %v %v / %v %v", run, seg, a, errA, b, errB)
			}
		}
	}
	ka, errA := dst.KPIHistory(ctx, "", "")
	kb, errB := p.st.KPIHistory(ctx, "", "")
	ja, _ := json.Marshal(ka)
	jb, _ := json.Marshal(kb)
	if errA != nil || errB != nil || len(ka) == 0 || string(ja) != string(jb) {
		t.Errorf("KPIHistory: %v %v / %v %v", ka, errA, kb, errB)
	}
}

// nextVersion stages a version 6 of tier in the workspace p writes in, as a run would before publishing.
func nextVersion(t *testing.T, p *pgStore, table string) (store.RunRecord, []store.Version, []*store.Diff) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE " + table + " (customer_id BIGINT, segment VARCHAR)",
		"INSERT INTO " + table + " SELECT g, CASE WHEN g % 2 = 0 THEN 'gold' ELSE 'platinum' END FROM generate_series(1, 50) g"} {
		if err := p.exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	latest, err := p.st.LatestRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.st.NextRunID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := store.Version{Segmentation: "tier", Table: table, EntityColumn: "customer_id", Method: "rules", Entities: 50}
	d, err := p.st.Diff(ctx, latest.ID, v)
	if err != nil {
		t.Fatal(err)
	}
	rec := store.RunRecord{ID: id, Pipeline: "fixture", AsOf: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), SpecHash: "x",
		SegrunVersion: "test", StartedAt: time.Now().UTC(), Entity: "customer_id", EntityType: "BIGINT"}
	return rec, []store.Version{v}, []*store.Diff{d}
}

// A publication that fails halfway leaves the store as it was: the server killing the publishing backend
// just before COMMIT (after every write; the hook waits for the backend to be gone, so its advisory lock is
// released before the next writer opens), and a constraint the run breaks after its first writes (a run id
// the store already has, refused by the runs table's key after the intervals of the version it replaces
// were reopened).
func TestPostgresPublishFailsWhole(t *testing.T) {
	ctx := context.Background()
	srv := pgServer(t)
	p := newPGStore(t, srv, "segrun_fails", "segrun_run_fails1")
	if err := storetest.Publish(ctx, p.st, p.exec); err != nil {
		t.Fatal(err)
	}
	before := dumpPG(t, srv.DSN, "segrun_fails", relations)

	rec, versions, diffs := nextVersion(t, p, "result_tier_6")
	var pid int
	if err := p.st.BackendPID(ctx, &pid); err != nil {
		t.Fatal(err)
	}
	killed := false
	_, err := p.st.Publish(ctx, rec, 0, versions, diffs, store.PublishOptions{BeforeCommit: func() {
		var ok bool
		if err := p.ws.QueryRow(ctx, "SELECT pg_terminate_backend($1, 10000)", pid).Scan(&ok); err != nil || !ok {
			t.Errorf("terminating the publishing backend: %v, %v", ok, err)
		}
		killed = true
	}})
	if !killed || err == nil {
		t.Fatalf("publishing with its backend killed: hook ran %v, error %v", killed, err)
	}
	compareDumps(t, "after the backend was killed", before, dumpPG(t, srv.DSN, "segrun_fails", relations))

	// A new connection (the old one is gone) publishing with a run id the store has: replacing version 4
	// undoes it first, then the runs row collides.
	q := newPGStore(t, srv, "segrun_fails", "segrun_run_fails2")
	rec, versions, diffs = nextVersion(t, q, "result_tier_7")
	rec.ID = 2
	if _, err := q.st.Publish(ctx, rec, 4, versions, diffs, store.PublishOptions{}); err == nil || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("publishing run id 2 again: %v, want a unique violation", err)
	}
	compareDumps(t, "after a constraint error", before, dumpPG(t, srv.DSN, "segrun_fails", relations))

	// And the store still publishes.
	rec.ID = 6
	if _, err := q.st.Publish(ctx, rec, 0, versions, diffs, store.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if r, err := q.st.LatestRun(ctx); err != nil || r == nil || r.ID != 6 {
		t.Fatalf("latest run after publishing 6: %v, %v", r, err)
	}
}

// Two writers of one store take turns: the second fails at once with --wait 0 (sql.ErrLocked, naming
// the holder), waits while the first holds the store, and opens it once the first closes. Two runs
// publishing at the same time each get their own version, one after the other.
func TestPostgresWritersSerialise(t *testing.T) {
	ctx := context.Background()
	srv := pgServer(t)
	first, err := store.OpenPostgres(ctx, srv.DSN, "segrun_serial", store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.OpenPostgres(ctx, srv.DSN, "segrun_serial", store.ReadWrite, 0)
	if !errors.Is(err, sql.ErrLocked) || !strings.Contains(err.Error(), "another segrun run (PostgreSQL backend PID") {
		t.Fatalf("a second writer with --wait 0: %v", err)
	}
	// A reader is not held up.
	r, err := store.OpenPostgres(ctx, srv.DSN, "segrun_serial", store.ReadOnly, 0)
	if err != nil {
		t.Fatalf("a reader while a writer holds the store: %v", err)
	}
	r.Close()
	done := make(chan error, 1)
	go func() {
		st, err := store.OpenPostgres(ctx, srv.DSN, "segrun_serial", store.ReadWrite, time.Minute)
		if err == nil {
			st.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a second writer opened the store while the first held it: %v", err)
	default:
	}
	first.Close()
	if err := <-done; err != nil {
		t.Fatalf("the waiting writer, once the first closed: %v", err)
	}

	// Concurrent publishers: each opens (waiting), stages and publishes the next version, and closes.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = publishOne(ctx, srv.DSN, fmt.Sprintf("segrun_run_c%d", i))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("publisher %d: %v", i, err)
		}
	}
	st, err := store.OpenPostgres(ctx, srv.DSN, "segrun_serial", store.ReadOnly, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(ctx)
	if err != nil || len(runs) != 3 {
		t.Fatalf("%d runs after 3 publishers, %v", len(runs), err)
	}
	// Each version compared with the one before it: every customer is a member once, of the latest's segment.
	var n int
	if err := st.QueryRowForTest(ctx, "SELECT count(*) FROM segrun_store.current_memberships", &n); err != nil || n != 10 {
		t.Errorf("%d current memberships, %v; want 10", n, err)
	}
}

// publishOne is one run publishing version NextRunID of a segmentation of 10 customers, all in one
// segment named after the run.
func publishOne(ctx context.Context, dsn, workspace string) error {
	st, err := store.OpenPostgres(ctx, dsn, "segrun_serial", store.ReadWrite, time.Minute)
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer ws.Close(ctx)
	if err := st.UseWorkspaceSchema(ctx, workspace); err != nil {
		return err
	}
	id, err := st.NextRunID(ctx)
	if err != nil {
		return err
	}
	table := sql.Ident(workspace) + ".result"
	for _, q := range []string{"CREATE SCHEMA " + sql.Ident(workspace), "CREATE TABLE " + table + " (customer_id BIGINT, segment VARCHAR)",
		fmt.Sprintf("INSERT INTO %s SELECT g, 'run%d' FROM generate_series(1, 10) g", table, id)} {
		if _, err := ws.Exec(ctx, q); err != nil {
			return err
		}
	}
	latest, err := st.LatestRun(ctx)
	if err != nil {
		return err
	}
	base := int64(0)
	if latest != nil {
		base = latest.ID
	}
	v := store.Version{Segmentation: "one", Table: "result", EntityColumn: "customer_id", Method: "rules", Entities: 10}
	d, err := st.Diff(ctx, base, v)
	if err != nil {
		return err
	}
	rec := store.RunRecord{ID: id, Pipeline: "p", AsOf: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), SpecHash: "x", SegrunVersion: "test",
		StartedAt: time.Now().UTC(), Entity: "customer_id", EntityType: "BIGINT"}
	_, err = st.Publish(ctx, rec, 0, []store.Version{v}, []*store.Diff{d}, store.PublishOptions{})
	return err
}

// Attach, DuckDB's way in, refuses a PostgreSQL location rather than create a file named postgres:SCHEMA
// (a run or measure given such a store, before engine: postgres is wired).
func TestAttachRefusesPostgresLocation(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Chdir(t.TempDir())
	if _, err := store.Attach(ctx, db, "postgres:shop", store.ReadWrite, 0); err == nil || !strings.Contains(err.Error(), "PostgreSQL schema") {
		t.Fatalf("Attach(postgres:shop): %v", err)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("Attach created %v", entries)
	}
}
