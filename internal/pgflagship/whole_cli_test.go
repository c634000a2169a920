package pgflagship

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/cli"
)

// `segrun run` of retail_postgres.yaml as a user runs it (the command line, the connection in
// SEGRUN_PG_DSN as the spec says, the store in a schema of the same server) exits 0 and prints the summary
// `segrun run` of retail.yaml prints for the same data: every segmentation and audience with its segment
// table, profiles and audits, the KPIs, the churn model's report, the steps and their rows, the exports and
// the delivery, line for line but for what must differ (where the store is, the spec's directory, the
// seconds) and engine postgres's line of what crossed the network. It leaves no run schema behind. One date: the version-2 summaries are compared by
// TestWholeFlagshipEqualOnDuckDBAndPostgres.
func TestSegrunRunPostgresFlagshipSaysWhatDuckDBSays(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, plain.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	const schema = "pgwhole_cli"
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	t.Setenv("SEGRUN_PG_DSN", plain.DSN)
	asOf := asOfs[1]
	segrunRun := func(example, name string, store ...string) string {
		t.Helper()
		dir := t.TempDir()
		if err := symlinkData(dir); err != nil {
			t.Fatal(err)
		}
		spec := writeWholeSpec(t, example, filepath.Join(dir, name), func(*yaml.Node) {})
		var stdout, stderr bytes.Buffer
		args := append([]string{"run", "--as-of", asOf}, store...)
		if code := cli.Run(append(args, spec), &stdout, &stderr); code != cli.ExitOK || stderr.Len() > 0 {
			t.Fatalf("segrun %s %s: exit %d\n%s%s", strings.Join(args, " "), name, code, stdout.String(), stderr.String())
		}
		return strings.ReplaceAll(stdout.String(), dir+"/", "DIR/")
	}
	duck := segrunRun(DuckDBSpec, "retail.yaml")
	pg := segrunRun(PostgresSpec, "retail_postgres.yaml", "--store", "postgres:"+schema)
	if !strings.Contains(pg, "published version 1 to postgres:"+schema+" (as of "+asOf) {
		t.Errorf("segrun run of %s does not say where it published:\n%s", PostgresSpec, pg)
	}
	for _, want := range []string{"churn (boosted_trees", "lifecycle (rules)", "behaviour (cluster:kmeans)", "value (rfm)",
		"value_clv (clv)", "winback_email (audience)", "kpis (segment value", "delivered ", "exported DIR/out/lifecycle.parquet"} {
		if !strings.Contains(duck, want) {
			t.Errorf("segrun run of %s lacks %q: the comparison would miss it:\n%s", DuckDBSpec, want, duck)
		}
	}
	// Engine postgres adds one line: what crossed the network and where the time went (runner.Result's
	// engine report).
	if !regexp.MustCompile(`(?m)^engine postgres: .* in the server, .* pulled [\d,]+ rows .* pushed [\d,]+ rows`).MatchString(pg) {
		t.Errorf("segrun run of %s does not say what crossed the network:\n%s", PostgresSpec, pg)
	}
	pg = regexp.MustCompile(`(?m)^engine postgres: .*\n`).ReplaceAllString(pg, "")
	if d := firstDifference(summaryLines(duck), summaryLines(pg)); d != "" {
		t.Errorf("segrun run prints another summary on postgres than on duckdb: %s", d)
	}
	if left := leftRunSchemas(t, conn); len(left) > 0 {
		t.Errorf("run schemas left behind: %v", left)
	}
}

// What differs between two runs' summaries by design: where the store is, and the seconds.
var (
	publishedTo = regexp.MustCompile(`published version (\d+) to \S+ \(`)
	seconds     = regexp.MustCompile(`\d+\.\d+s\b( \([\d.]+M/s\))?`)
)

// summaryLines are a run summary's lines with what differs by design replaced.
func summaryLines(s string) []string {
	s = publishedTo.ReplaceAllString(s, "published version $1 to STORE (")
	return strings.Split(seconds.ReplaceAllString(s, "Ns"), "\n")
}

// leftRunSchemas are the run schemas (segrun_run_*) on conn's server; the tests' own, which they create
// and drop themselves, aside.
func leftRunSchemas(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT nspname::text FROM pg_namespace WHERE starts_with(nspname, 'segrun_run_') AND nspname <> $1 ORDER BY 1", runSchema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}
