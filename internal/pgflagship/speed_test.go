package pgflagship

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
)

// speed turns on TestFlagshipSpeed, a measurement, not a proof: it asserts nothing about time (no timing
// assertions in tests) and is skipped by default. BENCHMARKS.md ("engine postgres tuned") was measured
// with it: go test -tags duckdb_arrow ./internal/pgflagship -run TestFlagshipSpeed -v
// -pgflagship.speed -pgflagship.customers=100000
var speed = flag.Bool("pgflagship.speed", false, "run the whole flagship on DuckDB and on one PostgreSQL server and log each step's seconds and the slow statements")

// slowMillis is log_min_duration_statement on the throwaway server during the measurement.
var slowMillis = flag.Int("pgflagship.slow_ms", 500, "log PostgreSQL statements slower than this (ms) during TestFlagshipSpeed")

// The whole flagship (everything retail_postgres.yaml has but value_clv, which engine postgres does not
// run yet) at two dates on DuckDB and on one server, publishing into a store of each engine, each run's
// steps logged with their seconds, then the statements the server logged as slower than slowMillis.
func TestFlagshipSpeed(t *testing.T) {
	if !*speed {
		t.Skip("a measurement: -pgflagship.speed runs it")
	}
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, plain.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const storeSchema = "pgspeed_store"
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+storeSchema+" CASCADE; ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEGRUN_TEST_PGSPEED", plain.DSN)
	duckSpec := writeSpeedSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), nil)
	pgSpec := writeSpeedSpec(t, PostgresSpec, filepath.Join(dir, "pg.yaml"), func(root *yaml.Node) {
		setKey(root, "engine", node(t, `{postgres: {dsn_env: SEGRUN_TEST_PGSPEED}}`))
		setKey(root, "store", node(t, "postgres:"+storeSchema))
	})
	var dataDirectory string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDirectory); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(filepath.Dir(dataDirectory), "log")
	for _, q := range []string{fmt.Sprintf("ALTER SYSTEM SET log_min_duration_statement = %d", *slowMillis), "SELECT pg_reload_conf()"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.Exec(context.Background(), "ALTER SYSTEM RESET log_min_duration_statement; SELECT pg_reload_conf()")
	logStart := int64(0)
	if fi, err := os.Stat(logPath); err == nil {
		logStart = fi.Size()
	}
	for _, path := range []string{duckSpec, pgSpec} {
		for _, asOf := range asOfs[:2] {
			res := runAt(t, path, asOf)
			var steps []string
			for _, st := range res.Steps {
				steps = append(steps, fmt.Sprintf("%s %s %.2f", st.Kind, st.Step, st.Seconds))
			}
			t.Logf("%s as of %s: outcome %s, %.2f s in all\n  %s", filepath.Base(path), asOf, res.Outcome, res.Seconds, strings.Join(steps, "\n  "))
		}
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) > logStart {
		b = b[logStart:]
	}
	var slow []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "duration:") {
			if len(line) > 400 {
				line = line[:400] + "..."
			}
			slow = append(slow, line)
		}
	}
	t.Logf("statements slower than %d ms on the server:\n%s", *slowMillis, strings.Join(slow, "\n"))
}

// writeSpeedSpec writes the whole example spec but value_clv.
func writeSpeedSpec(t *testing.T, example, path string, edit func(*yaml.Node)) string {
	t.Helper()
	src, err := examples.Pipelines.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	deleteKey(getKey(t, root, "segmentations"), "value_clv")
	if edit != nil {
		edit(root)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
