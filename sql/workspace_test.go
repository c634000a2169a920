package sql

import (
	"context"
	"testing"
)

// The relation methods of the Workspace do what their names say on DuckDB.
func TestWorkspaceRelations(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ws Workspace = db
	if err := ws.CreateTableAs(ctx, "t x", "SELECT range AS n FROM range(3)"); err != nil {
		t.Fatal(err)
	}
	if err := ws.Exec(ctx, `CREATE VIEW v AS SELECT * FROM "t x"`); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := ws.QueryRow(ctx, "SELECT count(*) FROM v").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count %d, %v; want 3", n, err)
	}
	if err := ws.DropView(ctx, "v"); err != nil {
		t.Fatal(err)
	}
	if err := ws.DropTable(ctx, "t x"); err != nil {
		t.Fatal(err)
	}
	if err := ws.DropTable(ctx, "t x"); err != nil {
		t.Errorf("dropping a table that is gone: %v", err)
	}
	if err := ws.QueryRow(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 't x'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the table is still there (%d, %v)", n, err)
	}
}
