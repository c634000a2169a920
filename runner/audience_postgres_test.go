package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/pgtest"
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
