package store

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segrun/segrun/sql"
)

// version1Memberships is the memberships table of schema version 1: intervals with their names as text.
const version1Memberships = `CREATE TABLE segrun_store.memberships (
	entity BIGINT NOT NULL, segmentation VARCHAR NOT NULL, segment VARCHAR NOT NULL,
	valid_from_run BIGINT NOT NULL, valid_to_run BIGINT)`

// A version 1 store is read as it is and upgraded, whole, the first time it is opened to be written: the
// memberships, the views over them and the change log read the same before and after.
func TestVersion1StoreIsUpgradedWhenWritten(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	db := openTest(t)
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec("ATTACH " + sql.Literal(path) + " AS " + Catalog)
	exec(storeDDL...)
	exec(version1Memberships)
	exec(version2Views[1:]...) // version 1 had version 2's views and macro (all but memberships), over its table
	exec(`INSERT INTO segrun_store.segrun_meta VALUES ('schema_version', '1'), ('entity', 'customer_id'), ('entity_type', 'BIGINT')`,
		`INSERT INTO segrun_store.memberships VALUES
			(1, 'lifecycle', 'new', 1, 2), (1, 'lifecycle', 'loyal', 2, NULL), (2, 'lifecycle', 'new', 1, NULL),
			(1, 'value', 'high', 1, NULL), (3, 'value', 'low', 2, NULL)`,
		"DETACH "+Catalog)

	read := func() string {
		t.Helper()
		s, err := readThroughWorkspace(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	if _, err := Attach(ctx, db, path, ReadOnly, 0); err != nil {
		t.Fatalf("reading a version 1 store: %v", err)
	}
	before := read()
	if !strings.Contains(before, "1 lifecycle loyal 2") {
		t.Fatalf("version 1 store read as:\n%s", before)
	}
	exec("DETACH " + Catalog)

	s, err := Attach(ctx, db, path, ReadWrite, 0)
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q after the upgrade, want %d", v, SchemaVersion)
	}
	var codes, intervals int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM segrun_store.segment_codes),
		(SELECT count(*) FROM segrun_store.membership_intervals)`).Scan(&codes, &intervals); err != nil {
		t.Fatal(err)
	}
	if codes != 4 || intervals != 5 {
		t.Errorf("%d segment codes and %d intervals, want 4 and 5", codes, intervals)
	}
	if after := read(); after != before {
		t.Errorf("the upgrade changed what the store reads:\nbefore\n%s\nafter\n%s", before, after)
	}
	// Opening it again to write is a no-op.
	exec("DETACH " + Catalog)
	if _, err = Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatalf("reopening: %v", err)
	}
	if after := read(); after != before {
		t.Errorf("reopening changed what the store reads:\n%s", after)
	}
}

// A store of a newer schema than this segrun knows is refused, not rewritten.
func TestNewerStoreIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	db := openTest(t)
	if _, err := Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "UPDATE segrun_store.segrun_meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}
	_, err := Attach(ctx, db, path, ReadWrite, 0)
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a version 99 store: %v", err)
	}
}

// version2Views are schema version 2's views and macro, which named the segrun_store catalog.
var version2Views = []string{
	`CREATE OR REPLACE VIEW segrun_store.memberships AS
		SELECT i.entity, c.segmentation, c.segment, i.valid_from_run, i.valid_to_run
		FROM segrun_store.membership_intervals i JOIN segrun_store.segment_codes c USING (code)`,
	`CREATE OR REPLACE VIEW segrun_store.changes AS
		SELECT valid_from_run AS run_id, segmentation, entity, segment, 'entered' AS event FROM segrun_store.memberships
		UNION ALL
		SELECT valid_to_run AS run_id, segmentation, entity, segment, 'exited' AS event FROM segrun_store.memberships
		WHERE valid_to_run IS NOT NULL`,
	`CREATE OR REPLACE VIEW segrun_store.current_memberships AS
		SELECT entity, segmentation, segment, valid_from_run AS since_run
		FROM segrun_store.memberships WHERE valid_to_run IS NULL`,
	`CREATE OR REPLACE MACRO segrun_store.memberships_as_of(run) AS TABLE
		SELECT entity, segmentation, segment FROM segrun_store.memberships
		WHERE valid_from_run <= run AND (valid_to_run IS NULL OR valid_to_run > run)`,
	`CREATE OR REPLACE VIEW segrun_store.moves AS
		SELECT coalesce(x.run_id, e.run_id) AS run_id, coalesce(x.segmentation, e.segmentation) AS segmentation,
		       coalesce(x.entity, e.entity) AS entity, x.segment AS from_segment, e.segment AS to_segment
		FROM (SELECT * FROM segrun_store.changes WHERE event = 'exited') x
		FULL JOIN (SELECT * FROM segrun_store.changes WHERE event = 'entered') e
		  ON x.run_id = e.run_id AND x.segmentation = e.segmentation AND x.entity = e.entity`,
}

// readThroughWorkspace reads the views and macro of the store attached to a workspace, with USE as a user
// would (a macro binds its tables in the caller's catalog).
func readThroughWorkspace(ctx context.Context, db *sql.DB) (string, error) {
	if err := db.Exec(ctx, "USE "+Catalog); err != nil {
		return "", err
	}
	defer db.Exec(ctx, "USE memory")
	return readViews(ctx, db)
}

// readViews reads every view and the macro of the default database's store, as one text.
func readViews(ctx context.Context, db *sql.DB) (string, error) {
	var out []string
	for _, q := range []string{
		"SELECT entity, segmentation, segment, valid_from_run, coalesce(valid_to_run, 0) FROM PREFIXmemberships ORDER BY ALL",
		"SELECT entity, segmentation, segment, since_run FROM PREFIXcurrent_memberships ORDER BY ALL",
		"SELECT * FROM PREFIXmemberships_as_of(1) ORDER BY ALL",
		"SELECT run_id, segmentation, entity, segment, event FROM PREFIXchanges ORDER BY ALL",
		"SELECT run_id, segmentation, entity, coalesce(from_segment, '-'), coalesce(to_segment, '-') FROM PREFIXmoves ORDER BY ALL",
	} {
		q = strings.ReplaceAll(q, "PREFIX", "")
		rows, err := db.Query(ctx, q)
		if err != nil {
			return "", fmt.Errorf("%s: %w", q, err)
		}
		_, all, err := sql.ScanAll(rows)
		if err != nil {
			return "", err
		}
		for _, vals := range all {
			out = append(out, sprintRow(vals))
		}
		out = append(out, "--")
	}
	return strings.Join(out, "\n"), nil
}

// A version 2 store's views named the segrun_store catalog, so a DuckDB client that opened the file (its
// catalog then named after the file) could not read them. The next run that writes it recreates them, and
// then every view and the macro read the same opened as the file's own database as through segrun.
func TestVersion2StoreViewsWorkInAnyClientAfterTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	db := openTest(t)
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	exec("ATTACH " + sql.Literal(path) + " AS " + Catalog)
	exec(storeDDL...)
	exec(segmentCodesDDL, strings.ReplaceAll(intervalsDDL, "ENTITY_TYPE", "BIGINT"))
	exec(version2Views...)
	exec(`INSERT INTO segrun_store.segrun_meta VALUES ('schema_version', '2'), ('entity', 'customer_id'), ('entity_type', 'BIGINT')`,
		`INSERT INTO segrun_store.segment_codes VALUES (1, 'lifecycle', 'new'), (2, 'lifecycle', 'loyal'), (3, 'value', 'high')`,
		`INSERT INTO segrun_store.membership_intervals VALUES (1, 1, 1, 2), (1, 2, 2, NULL), (2, 1, 1, NULL), (1, 3, 1, NULL)`,
		"DETACH "+Catalog)

	direct := func() (string, error) {
		d, err := sql.Open(ctx, path, sql.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		return readViews(ctx, d)
	}
	if _, err := direct(); err == nil {
		t.Log("version 2's views read in a direct client: the fixture no longer shows the problem")
	}

	if _, err := Attach(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	through, err := readThroughWorkspace(ctx, db)
	if err != nil {
		t.Fatalf("reading through segrun after the upgrade: %v", err)
	}
	if !strings.Contains(through, "1 lifecycle loyal 2") {
		t.Fatalf("the store reads:\n%s", through)
	}
	exec("DETACH " + Catalog)
	got, err := direct()
	if err != nil {
		t.Fatalf("opened as its own database: %v", err)
	}
	if got != through {
		t.Errorf("opened as its own database the store reads\n%s\nthrough segrun\n%s", got, through)
	}
	// Attached under another name, the views work too (the macro needs the store as default: USE).
	exec("ATTACH " + sql.Literal(path) + " AS history (READ_ONLY)")
	var n int
	if err := db.QueryRow(ctx, "SELECT (SELECT count(*) FROM history.changes) + (SELECT count(*) FROM history.moves) + (SELECT count(*) FROM history.current_memberships)").Scan(&n); err != nil || n == 0 {
		t.Errorf("attached as history: %d rows, %v", n, err)
	}
}

func sprintRow(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, " ")
}

// Every schema version after the first has its step.
func TestEveryVersionHasAMigration(t *testing.T) {
	if len(migrations) != SchemaVersion-1 {
		t.Fatalf("%d migrations for schema version %d: a new version needs its step", len(migrations), SchemaVersion)
	}
}

// loadFixture rebuilds the store kept in testdata/dir (exported with DuckDB's EXPORT DATABASE) as a
// store file at path.
func loadFixture(t *testing.T, dir, path string) {
	t.Helper()
	ctx := context.Background()
	abs, err := filepath.Abs(filepath.Join("testdata", dir))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(ctx, path, sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range []string{"schema.sql", "load.sql"} {
		text, err := os.ReadFile(filepath.Join(abs, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(strings.ReplaceAll(string(text), "FIXTURE_DIR", abs), ";\n") {
			if q = strings.Trim(q, "; \n"); q == "" {
				continue
			}
			if err := db.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %s: %v", name, q, err)
			}
		}
	}
}

// readHistory reads the attached store's record of its runs and versions through the store, as one text.
func readHistory(t *testing.T, ctx context.Context, s *Store) string {
	t.Helper()
	var b strings.Builder
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		fmt.Fprintf(&b, "run %d %s %s %s key=%q vars=%s sources=%s steps=%s replaced=%v\n", r.ID, r.Pipeline, r.Status,
			r.AsOf.Format(time.DateOnly), r.Key, r.Vars, r.Sources, r.Steps, r.ReplacedBy != nil)
		segs, err := s.Segmentations(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range segs {
			v, err := s.Version(ctx, r.ID, seg)
			if err != nil {
				t.Fatal(err)
			}
			stats, err := s.SegmentStats(ctx, r.ID, seg)
			if err != nil {
				t.Fatal(err)
			}
			moves, err := s.Transitions(ctx, r.ID, seg)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %s %s %d/%d summary=%s model=%s\n  %v\n  %v\n", seg, v.Method, v.Assigned, v.Entities, v.Summary.JSON(), v.Model.JSON(), stats, moves)
		}
	}
	return b.String()
}

// Stores written by earlier schemas, kept as fixtures (testdata/store_v3, written by segrun before the
// store moved to this package; testdata/store_v4, before the KPIs), open with this code: upgraded to the
// current schema version, each reads the same, its views, macro, memberships, change log and history, as
// it did before, and has no KPIs.
func TestUpgradeFromFixture(t *testing.T) {
	for _, fixture := range []string{"store_v3", "store_v4"} {
		t.Run(fixture, func(t *testing.T) { upgradeFromFixture(t, fixture) })
	}
}

// upgradeFromFixture upgrades the store kept in testdata/fixture (the same runs, written by two schema
// versions) and holds it to reading the same; it then has the current schema's KPI table, empty.
func upgradeFromFixture(t *testing.T, fixture string) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	loadFixture(t, fixture, path)
	db := openTest(t)

	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatalf("reading the fixture: %v", err)
	}
	views, err := readThroughWorkspace(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	history := readHistory(t, ctx, s)
	for _, want := range []string{"lifecycle champions", "tags big_spender", "behaviour cluster_", "run 2 shop replaced", `"k":3`} {
		if !strings.Contains(views+history, want) {
			t.Fatalf("the fixture reads without %q:\n%s\n%s", want, views, history)
		}
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}

	s, err = Attach(ctx, db, path, ReadWrite, 0)
	if err != nil {
		t.Fatalf("upgrading the fixture: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q after the upgrade, want %d", v, SchemaVersion)
	}
	if after, err := readThroughWorkspace(ctx, db); err != nil || after != views {
		t.Errorf("the upgrade changed what the views read (%v):\nbefore\n%s\nafter\n%s", err, views, after)
	}
	if after := readHistory(t, ctx, s); after != history {
		t.Errorf("the upgrade changed the history:\nbefore\n%s\nafter\n%s", history, after)
	}
	if kpis, err := s.KPIHistory(ctx, "", ""); err != nil || len(kpis) != 0 {
		t.Errorf("the upgraded store's KPIs: %v, %v; want none", kpis, err)
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}
	// Opened as its own database, as a DuckDB client would, the views read the same too.
	direct, err := sql.Open(ctx, path, sql.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if got, err := readViews(ctx, direct); err != nil || got != views {
		t.Errorf("opened as its own database (%v):\n%s", err, got)
	}
}

// A store file written by the last release before this schema's history began (version 2: views naming the
// segrun_store catalog, no exports table, no warnings column) reads as it is, and its first write upgrades
// it through every later migration: the views then work when the file is opened as its own database, and
// the history and memberships read the same as before.
func TestUpgradeFromAVersion2File(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "segrun.duckdb")
	gunzipFixture(t, "store_v2.duckdb.gz", path)
	db := openTest(t)

	s, err := Attach(ctx, db, path, ReadOnly, 0)
	if err != nil {
		t.Fatalf("reading the version 2 store: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != "2" {
		t.Fatalf("the fixture has schema_version %q, want 2", v)
	}
	history := readHistory(t, ctx, s)
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 2 || runs[1].Warnings != "[]" {
		t.Fatalf("runs of the version 2 store: %v %+v", err, runs)
	}
	views, err := readThroughWorkspace(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}

	s, err = Attach(ctx, db, path, ReadWrite, 0)
	if err != nil {
		t.Fatalf("upgrading the version 2 store: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q after the upgrade, want %d", v, SchemaVersion)
	}
	if after := readHistory(t, ctx, s); after != history {
		t.Errorf("the upgrade changed the history:\nbefore\n%s\nafter\n%s", history, after)
	}
	if after, err := readThroughWorkspace(ctx, db); err != nil || after != views {
		t.Errorf("the upgrade changed what the views read (%v):\nbefore\n%s\nafter\n%s", err, views, after)
	}
	if err := db.Exec(ctx, "DETACH "+Catalog); err != nil {
		t.Fatal(err)
	}
	direct, err := sql.Open(ctx, path, sql.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if got, err := readViews(ctx, direct); err != nil || !strings.Contains(got, "lifecycle") {
		t.Errorf("opened as its own database after the upgrade (%v):\n%s", err, got)
	}
}

// gunzipFixture writes testdata/name, gunzipped, to path.
func gunzipFixture(t *testing.T, name, path string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
}
