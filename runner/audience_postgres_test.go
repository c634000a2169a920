package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// On engine postgres the holdout's uniform and the hashed personal values are PostgreSQL's SQL
// (audience_sql.go), and must be the documented ones all the same: every case of the Python goldens that
// TestHoldoutMatchesPython and TestPIIHashMatchesPython hold DuckDB to (integers and text, unicode salts
// and values, entities whose hash has its top bit set, which a signed reading would make negative) gives
// PostgreSQL the very same uniform, group and hash.
func TestHoldoutAndPIIHashOnPostgresMatchPython(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	raw, err := os.ReadFile("testdata/audiences/holdout.json")
	if err != nil {
		t.Fatal(err)
	}
	var g holdoutGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	topBit := 0
	for _, kind := range []struct {
		typ   string
		cases []holdoutCase
	}{{"bigint", g.Int}, {"text", g.Text}} {
		for _, c := range kind.cases {
			var u float64
			q := fmt.Sprintf("SELECT %s FROM (SELECT CAST(%s AS %s) AS customer_id) e", holdoutUniformSQL(c.Salt, "customer_id", true), sql.Literal(c.Entity), kind.typ)
			if err := conn.QueryRow(ctx, q).Scan(&u); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			if u != c.Uniform {
				t.Errorf("salt %q, %s entity %q: uniform %v on postgres, Python says %v", c.Salt, kind.typ, c.Entity, u, c.Uniform)
			}
			if c.Uniform >= 0.5 {
				topBit++
			}
			for i, share := range g.Shares {
				if (u < share) != c.Control[i] {
					t.Errorf("salt %q, entity %q, share %v: control %v on postgres, Python says %v", c.Salt, c.Entity, share, u < share, c.Control[i])
				}
			}
		}
	}
	if topBit == 0 {
		t.Errorf("no golden case has a uniform of 0.5 or more: a signed reading of the hash would pass")
	}

	raw, err = os.ReadFile("testdata/audiences/pii.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Kind  string  `json:"kind"`
		Value *string `json:"value"`
		Hash  *string `json:"hash"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		lit := "CAST(NULL AS VARCHAR)"
		if c.Value != nil {
			lit = sql.Literal(*c.Value)
		}
		var got *string
		if err := conn.QueryRow(ctx, "SELECT "+piiHashSQL(lit, c.Kind, true)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.Hash == nil) || got != nil && *got != *c.Hash {
			t.Errorf("%s %q: %v on postgres, Python says %v", c.Kind, deref(c.Value), deref(got), deref(c.Hash))
		}
	}
}

// On engine postgres an audience is typed as on DuckDB (its consent column, its destinations' columns),
// and its where: runs inside the server as SQL, so a condition with no PostgreSQL form is an error at its
// position in the spec, not a run that fails or translates it approximately.
func TestAudienceValidatesOnPostgres(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS pgact_shop CASCADE; CREATE SCHEMA pgact_shop;
		CREATE TABLE pgact_shop.customers (customer_id bigint NOT NULL, monetary double precision, email text, opt_in integer)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS pgact_shop CASCADE") })
	t.Setenv("SEGRUN_TEST_PGACT", srv.DSN)
	specFile := filepath.Join(t.TempDir(), "pipeline.yaml")
	if err := os.WriteFile(specFile, []byte(`version: 1
name: shop
entity: customer_id
engine: {postgres: {dsn_env: SEGRUN_TEST_PGACT}}
sources:
  customers:
    table: pgact_shop.customers
    columns:
      customer_id: {type: BIGINT}
      email: {pii: email}
features:
  profile:
    sql: SELECT customer_id, monetary, email, opt_in FROM customers
segmentations:
  value:
    from: profile
    rules:
      - {segment: high, when: "monetary >= 100"}
    else: low
audiences:
  big:
    include: {value: [high]}
    where: lower(email) == "a@b.c" && monetary > 200
    consent: {from: profile, column: opt_in}
    destinations: [file]
  fine:
    include: {value: [high, low]}
    where: monetary > 200
destinations:
  file: {path: out/big.csv, columns: [customer_id, emial, group]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := Validate(ctx, specFile, ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var diags []string
	for _, d := range v.Diagnostics {
		if d.Severity == spec.Error {
			diags = append(diags, fmt.Sprintf("%d:%d %s %s", d.Line, d.Column, d.Code, d.Message))
		}
	}
	got := strings.Join(diags, "\n")
	for _, want := range []string{
		`23:12 rule.engine`, // lower() at its column in where:
		`24:38 audience.consent consent column opt_in of profile is INTEGER`,
		`destination.column destination file of audience big: no column "emial"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no error %q; the errors:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fine") || len(diags) != 3 {
		t.Errorf("want exactly the three errors of audience big; got:\n%s", got)
	}
}
