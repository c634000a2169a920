package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
	"github.com/segrun/segrun/sql/store/storetest"
)

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
func dumpDuck(t *testing.T, db *sql.DB) map[string][]string {
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
func dumpPG(t *testing.T, dsn, schema string) map[string][]string {
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
	srv := pgtest.New(t)
	db, dst := duckStore(t, filepath.Join(t.TempDir(), "segrun.duckdb"))
	if err := storetest.Publish(ctx, dst, func(ctx context.Context, q string) error { return db.Exec(ctx, q) }); err != nil {
		t.Fatal(err)
	}
	p := newPGStore(t, srv, "segrun_fixture", "segrun_run_1")
	if err := storetest.Publish(ctx, p.st, p.exec); err != nil {
		t.Fatal(err)
	}
	want := dumpDuck(t, db)
	for _, name := range relations {
		if len(want[name]) == 0 {
			t.Errorf("the fixture leaves %s empty: it would compare nothing", name)
		}
	}
	compareDumps(t, "DuckDB against PostgreSQL", want, dumpPG(t, srv.DSN, "segrun_fixture"))

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
