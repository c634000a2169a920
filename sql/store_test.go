package sql

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
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
	exec("ATTACH " + Literal(path) + " AS " + StoreCatalog)
	exec(storeDDL...)
	exec(version1Memberships)
	exec(membershipViews[1:]...) // version 1 had the same views and macro (all but memberships), over its table
	exec(`INSERT INTO segrun_store.segrun_meta VALUES ('schema_version', '1'), ('entity', 'customer_id'), ('entity_type', 'BIGINT')`,
		`INSERT INTO segrun_store.memberships VALUES
			(1, 'lifecycle', 'new', 1, 2), (1, 'lifecycle', 'loyal', 2, NULL), (2, 'lifecycle', 'new', 1, NULL),
			(1, 'value', 'high', 1, NULL), (3, 'value', 'low', 2, NULL)`,
		"DETACH "+StoreCatalog)

	read := func() string {
		t.Helper()
		var out []string
		for _, q := range []string{
			"SELECT entity, segmentation, segment, valid_from_run, coalesce(valid_to_run, 0) FROM segrun_store.memberships ORDER BY ALL",
			"SELECT entity, segmentation, segment, since_run FROM segrun_store.current_memberships ORDER BY ALL",
			"SELECT * FROM segrun_store.memberships_as_of(1) ORDER BY ALL",
			"SELECT run_id, segmentation, entity, coalesce(from_segment, '-'), coalesce(to_segment, '-') FROM segrun_store.moves ORDER BY ALL",
		} {
			rows, err := db.Query(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
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
				out = append(out, sprintRow(vals))
			}
			rows.Close()
			out = append(out, "--")
		}
		return strings.Join(out, "\n")
	}

	if _, err := AttachStore(ctx, db, path, ReadOnly, 0); err != nil {
		t.Fatalf("reading a version 1 store: %v", err)
	}
	before := read()
	if !strings.Contains(before, "1 lifecycle loyal 2") {
		t.Fatalf("version 1 store read as:\n%s", before)
	}
	exec("DETACH " + StoreCatalog)

	s, err := AttachStore(ctx, db, path, ReadWrite, 0)
	if err != nil {
		t.Fatalf("upgrading: %v", err)
	}
	if v, _ := s.Meta(ctx, "schema_version"); v != "2" {
		t.Errorf("schema_version %q after the upgrade, want 2", v)
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
	exec("DETACH " + StoreCatalog)
	if _, err = AttachStore(ctx, db, path, ReadWrite, 0); err != nil {
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
	if _, err := AttachStore(ctx, db, path, ReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "UPDATE segrun_store.segrun_meta SET value = '99' WHERE key = 'schema_version'"); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DETACH "+StoreCatalog); err != nil {
		t.Fatal(err)
	}
	_, err := AttachStore(ctx, db, path, ReadWrite, 0)
	if err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a version 99 store: %v", err)
	}
}

func sprintRow(vals []any) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, " ")
}
