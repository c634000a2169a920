package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/internal/pgtest"
)

// The differential test of issue 17: one pipeline of rules, RFM and a k-means clustering over the same
// customers, run on DuckDB (a CSV file, the store a DuckDB file) and on engine postgres (a table, the store
// a schema of the same database), twice (a second as_of, where some customers changed): memberships and
// change logs of both versions, the segment tables of the summaries and the cluster reports are equal.
// frozen (gmm with a one-hot text column, refit: never) is fitted by the first version and assigned with
// the stored model by the second, in SQL on both.
// The clustering fits a seeded sample of sample_rows on both engines (the same rows, by hash of seed and
// entity), so both fit the same input.

// pgwireCustomers are n generated customers with NULLs, ties and edge values; version 2 moves some.
func pgwireCustomers(n int, version int) [][]string {
	r := rand.New(rand.NewPCG(17, 1))
	rows := make([][]string, n)
	for i := range rows {
		rec := fmt.Sprint(r.IntN(400))
		if i%37 == 0 {
			rec = "" // NULL
		}
		freq := fmt.Sprint(1 + r.IntN(12))
		mon := fmt.Sprintf("%d.%02d", r.IntN(3000), r.IntN(100))
		if i%11 == 0 {
			mon = "100.00" // a tie group
		}
		tenure := fmt.Sprintf("%.3f", r.Float64()*10)
		if i%53 == 0 {
			tenure = ""
		}
		country := []string{"DE", "FR", "NL"}[r.IntN(3)]
		if version > 0 && i%10 == 0 { // a tenth of the customers bought again
			rec, freq, mon = "3", fmt.Sprint(9+i%5), fmt.Sprintf("%d.50", 1500+i)
		}
		rows[i] = []string{fmt.Sprint(1000 + i), rec, freq, mon, tenure, country}
	}
	return rows
}

const pgwireSpecBody = `
features:
  profile:
    sql: SELECT customer_id, recency_days, frequency, monetary, tenure, country FROM customers
segmentations:
  value:
    from: profile
    rules:
      - {segment: dormant, when: "recency_days > 300"}
      - {segment: high, when: "monetary >= 2000 && country != 'NL'"}
      - {segment: loyal, when: "frequency >= 8"}
    else: other
  rfm:
    from: profile
    rfm: {recency: recency_days, frequency: frequency, monetary: monetary, bins: 4}
  clusters:
    from: profile
    cluster:
      method: kmeans
      features: [recency_days, frequency, monetary, tenure]
      impute: mean
      scale: standard
      k: 3
      seed: 7
      sample_rows: 700
  frozen:
    from: profile
    cluster:
      method: gmm
      features: [frequency, tenure, country]
      impute: median
      transform: {country: onehot}
      scale: robust
      k: 2
      seed: 3
      refit: never
      sample_rows: 500
`

func TestSegmentationsOnPostgresEqualDuckDB(t *testing.T) {
	srv := pgtest.New(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const schema = "pgwire_store"
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS pgwire_shop CASCADE; DROP SCHEMA IF EXISTS `+schema+` CASCADE; CREATE SCHEMA pgwire_shop;
		CREATE TABLE pgwire_shop.customers (customer_id bigint NOT NULL, recency_days integer, frequency integer,
			monetary numeric(12,2), tenure double precision, country text)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS pgwire_shop CASCADE; DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	t.Setenv("SEGRUN_TEST_PGWIRE", srv.DSN)
	dir := t.TempDir()
	duckSpec := filepath.Join(dir, "duck.yaml")
	pgSpec := filepath.Join(dir, "pg.yaml")
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(duckSpec, `version: 1
name: shop
entity: customer_id
sources:
  customers:
    path: customers.csv
    columns:
      customer_id: {type: BIGINT}
      recency_days: {type: INTEGER}
      frequency: {type: INTEGER}
      monetary: {type: "DECIMAL(12,2)"}
      tenure: {type: DOUBLE}
      country: {type: VARCHAR}
`+pgwireSpecBody)
	write(pgSpec, `version: 1
name: shop
entity: customer_id
engine:
  postgres:
    dsn_env: SEGRUN_TEST_PGWIRE
store: postgres:`+schema+`
sources:
  customers:
    table: pgwire_shop.customers
`+pgwireSpecBody)

	var results [2][]*Result
	for version, asOf := range []string{"2026-01-01", "2026-02-01"} {
		rows := pgwireCustomers(2000, version)
		var csv strings.Builder
		csv.WriteString("customer_id,recency_days,frequency,monetary,tenure,country\n")
		for _, r := range rows {
			csv.WriteString(strings.Join(r, ",") + "\n")
		}
		write(filepath.Join(dir, "customers.csv"), csv.String())
		if _, err := conn.Exec(ctx, "TRUNCATE pgwire_shop.customers"); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(csv.String()), "COPY pgwire_shop.customers FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.DateOnly, asOf)
		for i, path := range []string{duckSpec, pgSpec} {
			res, err := Run(ctx, path, RunOptions{AsOf: at})
			if err != nil {
				if res != nil && res.Validation != nil {
					t.Fatalf("%s: %v\n%v", path, err, res.Validation.Diagnostics)
				}
				t.Fatalf("%s: %v", path, err)
			}
			if res.Outcome != OutcomePublished {
				t.Fatalf("%s: outcome %s (%s)", path, res.Outcome, res.Message)
			}
			results[i] = append(results[i], res)
		}
	}
	// The summaries: segment tables (sizes, shares, movement), rule statistics with their NULL skips, the
	// cluster reports (fit, validity, profiles of the same sample).
	for v := range 2 {
		duck, pg := results[0][v], results[1][v]
		for i := range duck.Segmentations {
			d, p := duck.Segmentations[i], pg.Segmentations[i]
			if got, want := summaryJSON(t, p), summaryJSON(t, d); got != want {
				t.Errorf("version %d, %s: the summary on postgres differs from duckdb's\npostgres %s\nduckdb   %s", v+1, d.Name, got, want)
			}
		}
	}
	for _, res := range []*Result{results[0][1], results[1][1]} {
		for _, s := range res.Segmentations {
			if s.Name == "frozen" && (s.Cluster == nil || s.Cluster.Fitted || s.Cluster.ModelRun != 1) {
				t.Errorf("version 2's frozen clustering was not assigned with version 1's model: %+v", s.Cluster)
			}
		}
	}
	// The second version's clusters keep their ids (matched with the first's on the sample's previous
	// segments): without the matching they would be new ids, cluster_3 and up.
	for _, s := range results[1][1].Segmentations {
		if s.Name != "clusters" {
			continue
		}
		for _, st := range s.Diff.Segments {
			if st.Size > 0 && st.Segment > "cluster_2" {
				t.Errorf("version 2 has cluster %s: its clusters were not matched with version 1's", st.Segment)
			}
		}
	}
	// Memberships and change logs of both versions, from both stores.
	duckRows := enginetest.DuckStoreRows(t, filepath.Join(dir, "segrun.duckdb"))
	pgRows := enginetest.PGStoreRows(t, conn, schema)
	if len(duckRows) < 4000 {
		t.Fatalf("only %d rows read from the DuckDB store", len(duckRows))
	}
	if !slices.Equal(duckRows, pgRows) {
		for i := range min(len(duckRows), len(pgRows)) {
			if duckRows[i] != pgRows[i] {
				t.Fatalf("stores differ (%d rows on duckdb, %d on postgres), first at %d:\nduckdb   %s\npostgres %s", len(duckRows), len(pgRows), i, duckRows[i], pgRows[i])
			}
		}
		t.Fatalf("stores differ: %d rows on duckdb, %d on postgres", len(duckRows), len(pgRows))
	}
}

// summaryJSON is what the run summary shows of a segmentation, without timings.
func summaryJSON(t *testing.T, r SegmentationReport) string {
	r.RuleSeconds = 0
	r.Profiles = nil // compared apart, SDs within a tolerance (TestKPIsProfilesAndAuditsOnPostgresEqualDuckDB)
	r.DefinitionHash = ""
	for i := range r.Rules {
		r.Rules[i].Kernel = false
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
