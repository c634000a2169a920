package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
	"github.com/segrun/segrun/sql/store/storetest"
)

// publishedAt is set on both stores' runs before their output is compared: a publication stamps its own
// time.
const publishedAt = "UPDATE segrun_store.runs SET published_at = TIMESTAMP '2024-06-01 08:30:00'"

// twoStores publishes storetest's history to a DuckDB store file and to a PostgreSQL store in schema
// shop, and points SEGRUN_PG_DSN at the server.
func twoStores(t *testing.T) (file string, srv *pgtest.Server) {
	t.Helper()
	ctx := context.Background()
	srv = pgtest.New(t)
	t.Setenv(store.EnvDSN, srv.DSN)

	file = filepath.Join(t.TempDir(), "segrun.duckdb")
	db, err := sql.Open(ctx, "", sql.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dst, err := store.Attach(ctx, db, file, store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := storetest.Publish(ctx, dst, func(ctx context.Context, q string) error { return db.Exec(ctx, q) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, publishedAt); err != nil {
		t.Fatal(err)
	}

	pst, err := store.OpenPostgres(ctx, srv.DSN, "shop", store.ReadWrite, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pst.Close()
	ws, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close(ctx)
	wsExec := func(ctx context.Context, q string) error { _, err := ws.Exec(ctx, q); return err }
	for _, q := range []string{"CREATE SCHEMA segrun_run_1", "SET search_path TO segrun_run_1"} {
		if err := wsExec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := pst.UseWorkspaceSchema(ctx, "segrun_run_1"); err != nil {
		t.Fatal(err)
	}
	if err := storetest.Publish(ctx, pst, wsExec); err != nil {
		t.Fatal(err)
	}
	if err := wsExec(ctx, strings.ReplaceAll(publishedAt, "segrun_store.", "shop.")); err != nil {
		t.Fatal(err)
	}
	return file, srv
}

// The store readers print the same for a store on PostgreSQL (--store postgres:SCHEMA) as for the same
// history in a DuckDB file, in every format, errors and exit codes included; where the store is named,
// it is named as given.
func TestReadersPrintTheSameFromPostgres(t *testing.T) {
	file, _ := twoStores(t)
	commands := [][]string{
		{"runs"}, {"runs", "--format", "json"}, {"runs", "--format", "csv"},
		{"show", "tier"}, {"show", "tier", "--run", "2"}, {"show", "tier", "--format", "json"}, {"show", "tags", "--run", "2", "--format", "csv"},
		{"changes", "tier"}, {"changes", "tier", "--run", "2", "--format", "json"}, {"changes", "tags", "--run", "2"},
		{"changes", "tags", "--run", "4"}, // the version that retired tags
		{"changes", "tier", "--run", "3"}, // replaced: exit 1
		{"changes", "tier", "--run", "5"}, // rolled back: exit 1
		{"show", "tir"},                   // a suggestion: exit 1
		{"show", "tier", "--run", "9"},    // no such version: exit 1
		{"kpis"}, {"kpis", "--format", "json"}, {"kpis", "--segmentation", "tier", "--kpi", "spend", "--format", "csv"},
		{"models"}, {"models", "churn", "--format", "json"},
	}
	for _, args := range commands {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			wantOut, wantErr, wantCode := run(t, append(append([]string{}, args...), "--store", file)...)
			gotOut, gotErr, gotCode := run(t, append(append([]string{}, args...), "--store", "postgres:shop")...)
			wantOut, wantErr = strings.ReplaceAll(wantOut, file, "STORE"), strings.ReplaceAll(wantErr, file, "STORE")
			gotOut, gotErr = strings.ReplaceAll(gotOut, "postgres:shop", "STORE"), strings.ReplaceAll(gotErr, "postgres:shop", "STORE")
			if wantCode != gotCode || wantOut != gotOut || wantErr != gotErr {
				t.Errorf("DuckDB store: exit %d\n%s%s\nPostgreSQL store: exit %d\n%s%s", wantCode, wantOut, wantErr, gotCode, gotOut, gotErr)
			}
			if wantOut == "" && wantErr == "" {
				t.Error("no output to compare")
			}
		})
	}
	// A spec whose store: is postgres:SCHEMA finds it there (not in a file beside the spec).
	spec := filepath.Join(t.TempDir(), "shop.yaml")
	if err := os.WriteFile(spec, []byte("version: 1\nname: fixture\nentity: customer_id\nstore: postgres:shop\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, "show", "tier", spec)
	want, _, _ := run(t, "show", "tier", "--store", "postgres:shop")
	if code != ExitOK || stdout != want {
		t.Errorf("show tier %s: exit %d\n%s%s\nwant\n%s", spec, code, stdout, stderr, want)
	}

	// report writes the same page from both.
	dir := t.TempDir()
	pages := map[string]string{}
	for _, loc := range []string{file, "postgres:shop"} {
		out := filepath.Join(dir, fmt.Sprintf("report%d.html", len(pages)))
		stdout, stderr, code := run(t, "report", "--store", loc, "--out", out)
		if code != ExitOK {
			t.Fatalf("report --store %s: exit %d\n%s%s", loc, code, stdout, stderr)
		}
		page, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		pages[loc] = strings.ReplaceAll(string(page), loc, "STORE")
	}
	if pages[file] != pages["postgres:shop"] || len(pages[file]) < 1000 {
		t.Errorf("report: the pages differ (%d and %d bytes)", len(pages[file]), len(pages["postgres:shop"]))
	}

	// export writes the same files from both, in every format, memberships and change logs.
	for i, args := range [][]string{{"tier"}, {"tier", "--run", "2", "--changes"}, {"tags", "--run", "2"}, {"tags", "--run", "2", "--changes"}, {"tier", "--pii", "clear"}} {
		for _, ext := range []string{".csv", ".parquet", ".jsonl"} {
			var files [2][]byte
			for j, loc := range []string{file, "postgres:shop"} {
				out := filepath.Join(dir, fmt.Sprintf("export%d_%d%s", i, j, ext))
				stdout, stderr, code := run(t, append([]string{"export", "--store", loc, "--out", out}, args...)...)
				if code != ExitOK {
					t.Fatalf("export %v --store %s: exit %d\n%s%s", args, loc, code, stdout, stderr)
				}
				var err error
				if files[j], err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
			}
			if string(files[0]) != string(files[1]) || len(files[0]) < 20 {
				t.Errorf("export %v %s: the files differ (%d and %d bytes)", args, ext, len(files[0]), len(files[1]))
			}
		}
	}

	// rollback writes the same on both, and leaves the same history.
	for _, args := range [][]string{{"rollback", "--last"}, {"runs"}, {"show", "tier"}} {
		wantOut, wantErr, wantCode := run(t, append(append([]string{}, args...), "--store", file)...)
		gotOut, gotErr, gotCode := run(t, append(append([]string{}, args...), "--store", "postgres:shop")...)
		wantOut, gotOut = strings.ReplaceAll(wantOut, file, "STORE"), strings.ReplaceAll(gotOut, "postgres:shop", "STORE")
		if wantCode != gotCode || wantOut != gotOut || wantErr != gotErr {
			t.Errorf("%v: DuckDB store: exit %d\n%s%s\nPostgreSQL store: exit %d\n%s%s", args, wantCode, wantOut, wantErr, gotCode, gotOut, gotErr)
		}
	}
}

// A PostgreSQL store that cannot be reached, or is not there, is the environment's failure (exit 3) with
// a message saying what to set or where segrun looked; an empty schema is a usage mistake (exit 2).
func TestPostgresStoreErrors(t *testing.T) {
	srv := pgtest.New(t)
	cases := []struct {
		name, dsn string
		args      []string
		code      int
		says      string
	}{
		{"no dsn", "", []string{"runs", "--store", "postgres:shop"}, ExitEnvironment, "SEGRUN_PG_DSN is not set"},
		{"not a dsn", "postgres://[::1", []string{"runs", "--store", "postgres:shop"}, ExitEnvironment, "SEGRUN_PG_DSN is not a PostgreSQL connection string"},
		{"unreachable", "postgres://segrun:secret@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5", []string{"show", "tier", "--store", "postgres:shop"}, ExitEnvironment, "connecting to the database SEGRUN_PG_DSN names"},
		{"no store", srv.DSN, []string{"runs", "--store", "postgres:nothing_here"}, ExitEnvironment, `no segrun store in schema "nothing_here"`},
		{"rollback of no store", srv.DSN, []string{"rollback", "--last", "--store", "postgres:nothing_here"}, ExitEnvironment, `no segrun store in schema "nothing_here"`},
		{"empty schema", srv.DSN, []string{"runs", "--store", "postgres:"}, ExitUsage, "postgres:SCHEMA"},
		{"export of no store", srv.DSN, []string{"export", "tier", "--out", filepath.Join(t.TempDir(), "x.csv"), "--store", "postgres:nothing_here"}, ExitEnvironment, `no segrun store in schema "nothing_here"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(store.EnvDSN, c.dsn)
			stdout, stderr, code := run(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.says) || strings.Contains(stderr, "secret") {
				t.Errorf("exit %d, want %d; stdout %q\nstderr %q, want it to say %q (and never the password)", code, c.code, stdout, stderr, c.says)
			}
		})
	}
	// Nothing was created by looking.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = 'nothing_here'").Scan(&n); err != nil || n != 0 {
		t.Errorf("reading a missing store created its schema (%d, %v)", n, err)
	}
}
