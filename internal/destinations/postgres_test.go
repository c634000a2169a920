package destinations

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/segrun/segrun/internal/pgtest"
)

// server is the package's PostgreSQL server, started once by TestMain; pgErr says why there is none.
var (
	server *pgtest.Server
	pgErr  error
)

func TestMain(m *testing.M) {
	server, pgErr = pgtest.Start()
	code := m.Run()
	if server != nil {
		server.Stop()
	}
	os.Exit(code)
}

// pg returns the server's DSN, or skips (fails under CI=true) without one.
func pg(t *testing.T) string {
	t.Helper()
	if pgErr != nil {
		if pgtest.IsMissing(pgErr) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v", pgErr)
		}
		t.Fatalf("pgtest: %v", pgErr)
	}
	return server.DSN
}

func newPostgres(t *testing.T, table, exits string) *Postgres {
	dsn := pg(t)
	return &Postgres{Name: "crm_db", Config: PostgresConfig{DSNEnv: "CRM_DSN", Table: table, Exits: exits},
		Getenv: func(k string) string {
			if k == "CRM_DSN" {
				return dsn
			}
			return ""
		}}
}

// tableRows reads the table as "entity:group" (with "!" for a flagged exit), in entity order.
func tableRows(t *testing.T, table string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, server.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT entity, "group", exited_at IS NOT NULL FROM %s ORDER BY entity`, table))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var e, g string
		var exited bool
		if err := rows.Scan(&e, &g, &exited); err != nil {
			t.Fatal(err)
		}
		if exited {
			e = "!" + e
		}
		out = append(out, e+":"+g)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	return strings.Join(out, " ")
}

func members(spec string) []Row {
	var out []Row
	for _, f := range strings.Fields(spec) {
		ev := EventMember
		switch f[0] {
		case '+':
			ev, f = EventEntered, f[1:]
		case '-':
			ev, f = EventExited, f[1:]
		}
		e, g, _ := strings.Cut(f, ":")
		out = append(out, Row{Entity: e, Group: g, Event: ev})
	}
	return out
}

func deliver(t *testing.T, p *Postgres, version int64, mode, rows string) Result {
	t.Helper()
	res, err := p.Deliver(context.Background(), Delivery{ID: DeliveryID("winback", version, p.Name), Audience: "winback",
		Version: version, Mode: mode, Rows: SliceRows(members(rows))})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A full delivery makes the table the version's members: new ones inserted, a changed group updated,
// the ones not listed deleted; the table (and its schema) created on first use.
func TestPostgresFull(t *testing.T) {
	p := newPostgres(t, "crm.full_members", ExitsDelete)
	if r := deliver(t, p, 1, ModeFull, "a:treatment b:control c:treatment"); r.Upserted != 3 || r.Exited != 0 {
		t.Errorf("v1: %+v", r)
	}
	if got := tableRows(t, "crm.full_members"); got != "a:treatment b:control c:treatment" {
		t.Errorf("after v1: %s", got)
	}
	if r := deliver(t, p, 2, ModeFull, "a:treatment c:control d:treatment"); r.Upserted != 3 || r.Exited != 1 {
		t.Errorf("v2: %+v", r)
	}
	if got := tableRows(t, "crm.full_members"); got != "a:treatment c:control d:treatment" {
		t.Errorf("after v2: %s", got)
	}
}

// A changes delivery applies entries and exits only; with exits: flag an exit keeps its row, stamped, and
// an entity that exits and re-enters is a member again. An entry and an exit of the same entity in one
// version is a move between groups, not an exit.
func TestPostgresChangesFlag(t *testing.T) {
	p := newPostgres(t, "changes_flag", ExitsFlag)
	deliver(t, p, 1, ModeChanges, "+a:treatment +b:control +c:treatment")
	if r := deliver(t, p, 2, ModeChanges, "-a:treatment +d:control -c:treatment +c:control"); r.Upserted != 2 || r.Exited != 1 {
		t.Errorf("v2: %+v", r)
	}
	if got := tableRows(t, "changes_flag"); got != "!a:treatment b:control c:control d:control" {
		t.Errorf("after v2: %s", got)
	}
	deliver(t, p, 3, ModeChanges, "+a:treatment")
	if got := tableRows(t, "changes_flag"); got != "a:treatment b:control c:control d:control" {
		t.Errorf("after v3: %s", got)
	}
}

// A delivery whose id the table has recorded applies nothing, even with other rows: a retry after a
// success (the run key rerun, segrun deliver) never applies twice.
func TestPostgresRetryAppliesNothing(t *testing.T) {
	p := newPostgres(t, "retried", ExitsDelete)
	deliver(t, p, 1, ModeChanges, "+a:treatment +b:control")
	r := deliver(t, p, 1, ModeChanges, "-a:treatment +z:treatment")
	if !r.AlreadyApplied || r.Upserted != 0 || r.Exited != 0 {
		t.Errorf("retry: %+v", r)
	}
	if got := tableRows(t, "retried"); got != "a:treatment b:control" {
		t.Errorf("after the retry: %s", got)
	}
	// An older version after a newer one would take the table back in time.
	deliver(t, p, 3, ModeChanges, "+c:treatment")
	_, err := p.Deliver(context.Background(), Delivery{ID: DeliveryID("winback", 2, "crm_db"), Audience: "winback", Version: 2,
		Mode: ModeChanges, Rows: SliceRows(members("-c:treatment"))})
	if !errors.Is(err, errStaleVersion) {
		t.Errorf("version 2 after 3: %v", err)
	}
	if got := tableRows(t, "retried"); got != "a:treatment b:control c:treatment" {
		t.Errorf("after the stale version: %s", got)
	}
}

// manyRows yields n members, calling at(i) before row i (which may fail the delivery from outside).
func manyRows(n int, at func(i int) error) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		for i := range n {
			if err := at(i); err != nil {
				yield(Row{}, err)
				return
			}
			if !yield(Row{Entity: fmt.Sprintf("e%07d", i), Group: "treatment", Event: EventMember}, nil) {
				return
			}
		}
	}
}

// A delivery that fails midway, its connection killed by the server during COPY or its rows failing,
// leaves the table as it was and its id unrecorded, so the retry applies it whole.
func TestPostgresFailureMidDelivery(t *testing.T) {
	p := newPostgres(t, "failing", ExitsDelete)
	deliver(t, p, 1, ModeFull, "a:treatment b:control")
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, server.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	kill := func(i int) error {
		if i == 50000 { // after COPY has sent several of pgx's buffers
			_, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND query LIKE 'copy%'`)
			return err
		}
		return nil
	}
	d := Delivery{ID: DeliveryID("winback", 2, "crm_db"), Audience: "winback", Version: 2, Mode: ModeFull, Rows: manyRows(100000, kill)}
	if _, err := p.Deliver(ctx, d); err == nil {
		t.Fatal("a delivery whose connection was killed succeeded")
	} else {
		t.Logf("killed: %v", err)
	}
	if got := tableRows(t, "failing"); got != "a:treatment b:control" {
		t.Errorf("after the killed delivery: %s", got)
	}
	broken := errors.New("the store went away")
	d.Rows = manyRows(100000, func(i int) error {
		if i == 70000 {
			return broken
		}
		return nil
	})
	if _, err := p.Deliver(ctx, d); !errors.Is(err, broken) {
		t.Fatalf("rows failing midway: %v", err)
	}
	if got := tableRows(t, "failing"); got != "a:treatment b:control" {
		t.Errorf("after the failed rows: %s", got)
	}
	d.Rows = manyRows(100000, func(int) error { return nil })
	r, err := p.Deliver(ctx, d)
	if err != nil || r.Upserted != 100000 || r.Exited != 2 {
		t.Fatalf("the retry: %+v, %v", r, err)
	}
}

// A missing variable or an unreachable server names the destination and the variable, never the DSN.
func TestPostgresConnectionErrors(t *testing.T) {
	p := &Postgres{Name: "crm_db", Config: PostgresConfig{DSNEnv: "CRM_DSN", Table: "t"}, Getenv: func(string) string { return "" }}
	d := Delivery{ID: "x", Audience: "a", Version: 1, Mode: ModeFull, Rows: SliceRows(nil)}
	_, err := p.Deliver(context.Background(), d)
	if err == nil || !strings.Contains(err.Error(), "crm_db") || !strings.Contains(err.Error(), "CRM_DSN") {
		t.Errorf("missing variable: %v", err)
	}
	p.Getenv = func(string) string { return "postgres://u:s3cret@127.0.0.1:1/db?connect_timeout=2" }
	_, err = p.Deliver(context.Background(), d)
	if err == nil || !strings.Contains(err.Error(), "crm_db") || !strings.Contains(err.Error(), "CRM_DSN") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("unreachable server: %v", err)
	}
}
