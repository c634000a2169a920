package pgflagship

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/enginetest"
	"github.com/segrun/segrun/runner"
)

// The flagship's segmentations on both engines (issue 17's differential test): retail.yaml on DuckDB and
// retail_postgres.yaml on PostgreSQL (one server, and the coordinator whose orders and customers are
// postgres_fdw partitions on two shards), each cut to what engine postgres runs so far (sources, features, the
// lifecycle rules, the RFM value grid and the behaviour clusters: no models, KPIs, audiences, audits or
// exports; the churn model's scores are the same stand-in table on both, as in the feature tests), the
// clustering fitted on the same seeded sample (sample_rows) on both. Run at two dates, publishing into a
// DuckDB store and a store in a PostgreSQL schema: the memberships and change logs of both versions and
// the summaries (segment tables, rule statistics with NULL skips, cluster reports) are equal.
func TestFlagshipSegmentationsEqualOnDuckDBAndPostgres(t *testing.T) {
	if skipped != "" {
		t.Skip(skipped)
	}
	dir := t.TempDir()
	if err := os.Symlink(dataDir, filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	sample := *customers / 3
	duckSpec := writeSegmentationsSpec(t, DuckDBSpec, filepath.Join(dir, "duck.yaml"), sample, func(sources *yaml.Node) {
		setKey(sources, "churn", node(t, `{path: data/churn.csv, columns: {customer_id: {type: BIGINT}, churn_score: {type: DOUBLE}}}`))
	}, nil)
	runAll := func(path string) []*runner.Result {
		var out []*runner.Result
		for _, asOf := range asOfs[:2] {
			res := runAt(t, path, asOf)
			if res.Outcome != runner.OutcomePublished || len(res.Segmentations) != 3 {
				t.Fatalf("%s as of %s: outcome %s with %d segmentations (%s); want published, lifecycle, value, behaviour", filepath.Base(path), asOf, res.Outcome, len(res.Segmentations), res.Message)
			}
			var steps []string
			for _, st := range res.Steps {
				if st.Kind == "segmentation" {
					steps = append(steps, fmt.Sprintf("%s %.2fs", st.Step, st.Seconds))
				}
			}
			t.Logf("%s as of %s: %.2fs in all; %s", filepath.Base(path), asOf, res.Seconds, strings.Join(steps, ", "))
			out = append(out, res)
		}
		return out
	}
	duckRes := runAll(duckSpec)
	var matched int64
	for _, r := range duckRes[0].Segmentations[0].Rules {
		matched += r.Matched
	}
	if matched == 0 {
		t.Fatalf("lifecycle matched nothing: the comparison would be empty")
	}
	duckRows := enginetest.DuckStoreRows(t, filepath.Join(dir, "segrun.duckdb"))
	if len(duckRows) < 3**customers {
		t.Fatalf("only %d rows read from the DuckDB store", len(duckRows))
	}

	const storeSchema = "pgflagship_store"
	for i, target := range []struct{ name, dsn string }{{"one server", plain.DSN}, {"the sharded coordinator", sharded.Coordinator.DSN}} {
		conn := stageChurn(t, target.dsn, storeSchema)
		env := fmt.Sprintf("SEGRUN_TEST_PGFLAGSHIP_%d", i)
		t.Setenv(env, target.dsn)
		pgSpec := writeSegmentationsSpec(t, PostgresSpec, filepath.Join(dir, fmt.Sprintf("pg%d.yaml", i)), sample, func(sources *yaml.Node) {
			setKey(sources, "churn", node(t, `{table: public.churn}`))
		}, func(root *yaml.Node) {
			setKey(root, "engine", node(t, `{postgres: {dsn_env: `+env+`}}`))
			setKey(root, "store", node(t, "postgres:"+storeSchema))
		})
		pgRes := runAll(pgSpec)
		for v := range duckRes {
			for j, d := range duckRes[v].Segmentations {
				if got, want := summaryJSON(t, pgRes[v].Segmentations[j]), summaryJSON(t, d); got != want {
					t.Errorf("%s, version %d, %s: the summary differs from duckdb's\npostgres %s\nduckdb   %s", target.name, v+1, d.Name, got, want)
				}
			}
		}
		pgRows := enginetest.PGStoreRows(t, conn, storeSchema)
		if !slices.Equal(duckRows, pgRows) {
			for k := range min(len(duckRows), len(pgRows)) {
				if duckRows[k] != pgRows[k] {
					t.Fatalf("%s: stores differ (%d rows on duckdb, %d on postgres), first at %d:\nduckdb   %s\npostgres %s", target.name, len(duckRows), len(pgRows), k, duckRows[k], pgRows[k])
				}
			}
			t.Fatalf("%s: stores differ: %d rows on duckdb, %d on postgres", target.name, len(duckRows), len(pgRows))
		}
	}
}

// writeSegmentationsSpec writes the example spec cut to what engine postgres runs: its sources (with
// the churn scores added by addChurn) and features, and the lifecycle, value and behaviour
// segmentations, behaviour fitted on a sample of sample rows.
func writeSegmentationsSpec(t *testing.T, example, path string, sample int, addChurn func(*yaml.Node), edit func(*yaml.Node)) string {
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
	for _, k := range []string{"models", "kpis", "audiences", "outcomes", "priority_lists", "destinations", "exports"} {
		deleteKey(root, k)
	}
	addChurn(getKey(t, root, "sources"))
	deleteKey(getKey(t, root, "features"), "outcomes")
	deleteKey(getKey(t, root, "sources"), "campaign_orders")
	segs := getKey(t, root, "segmentations")
	deleteKey(segs, "value_clv")
	deleteKey(getKey(t, segs, "lifecycle"), "audits")
	setKey(getKey(t, getKey(t, segs, "behaviour"), "cluster"), "sample_rows", node(t, fmt.Sprint(sample)))
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

func node(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(text), &n); err != nil {
		t.Fatal(err)
	}
	return n.Content[0]
}

func getKey(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf("no key %q", key)
	return nil
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func setKey(m *yaml.Node, key string, value *yaml.Node) {
	deleteKey(m, key)
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
}

// summaryJSON is what the run summary shows of a segmentation, without timings and profiles (compared
// by TestFlagshipKPIsProfilesAndAuditsEqualOnDuckDBAndPostgres, SDs within a tolerance).
func summaryJSON(t *testing.T, r runner.SegmentationReport) string {
	t.Helper()
	r.RuleSeconds, r.Profiles, r.DefinitionHash = 0, nil, ""
	r.Rules = slices.Clone(r.Rules)
	for i := range r.Rules {
		r.Rules[i].Kernel = false
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
