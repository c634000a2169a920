package runner

import (
	"slices"
	"strings"
	"testing"
)

// A clustering that stages its own change log must publish exactly what the store's diff would have:
// the same intervals, change log, segment counts and transitions, run after run, including a replaced
// run, noise, rows left out, and entities that left the input (where it must leave the diff to the store).
func TestClusterStagedChangeLogEqualsTheStoresDiff(t *testing.T) {
	type run struct {
		asOf    string
		vars    map[string]string
		key     string
		force   bool
		renamed bool                // the clustering is named behaviour2 in this run's spec
		edit    func(string) string // how this run's spec differs, if it does
		staged  bool                // whether the step should have staged its change log
	}
	cases := []struct {
		name    string
		cluster string
		runs    []run
	}{
		{"kmeans, then a replaced version", kmeansCluster, []run{
			{asOf: "2024-03-31", key: "a"}, {asOf: "2024-06-30", key: "b", staged: true}, {asOf: "2024-06-30", key: "b", force: true, staged: true}}},
		{"dbscan with noise", "      method: dbscan\n      features: [recency_days, frequency, monetary]\n      transform: {frequency: log1p, monetary: log1p}\n      params: {eps: 0.3, min_samples: 10}\n",
			[]run{{asOf: "2024-03-31"}, {asOf: "2024-06-30", staged: true}}},
		{"rows left out", "      method: kmeans\n      features: [recency_days, patchy]\n      impute: drop\n      k: 3\n      seed: 3\n",
			[]run{{asOf: "2024-03-31"}, {asOf: "2024-06-30", staged: true}}},
		{"entities that left the input", kmeansCluster, []run{
			{asOf: "2024-03-31"}, {asOf: "2024-06-30", vars: map[string]string{"min_orders": "3"}}, {asOf: "2024-09-30", staged: true}}},
		// The version before has no behaviour, but behaviour's memberships of the one before that are still
		// in the store: only the store's diff sees them.
		{"a clustering back after a version without it", kmeansCluster, []run{
			{asOf: "2024-03-31"}, {asOf: "2024-06-30", renamed: true}, {asOf: "2024-09-30"}}},
		{"refit: never, a cluster renamed", kmeansCluster + "      refit: never\n", []run{
			{asOf: "2024-03-31"}, {asOf: "2024-06-30", staged: true, edit: func(s string) string {
				return strings.Replace(s, "names: {1: second}", "names: {1: runner_up}", 1)
			}}}},
	}
	tables := []string{
		"SELECT entity, segmentation, segment, valid_from_run, coalesce(valid_to_run, 0) FROM segrun_store.memberships ORDER BY ALL",
		"SELECT run_id, segmentation, entity, segment, event FROM segrun_store.changes ORDER BY ALL",
		"SELECT run_id, segmentation, segment, size, entered, exited, stayed FROM segrun_store.segments ORDER BY ALL",
		"SELECT run_id, segmentation, coalesce(from_segment, '-'), coalesce(to_segment, '-'), entities FROM segrun_store.transitions ORDER BY ALL",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stores [2][][]string
			for pass, staging := range []bool{true, false} {
				f := clusterFixture(t, c.cluster)
				specText := f.read("shop.yaml")
				for _, r := range c.runs {
					switch {
					case r.renamed:
						f.write("shop.yaml", strings.Replace(specText, "  behaviour:", "  behaviour2:", 1))
					case r.edit != nil:
						f.write("shop.yaml", r.edit(specText))
					default:
						f.write("shop.yaml", specText)
					}
					res := f.mustRun(r.asOf, func(o *RunOptions) {
						o.Vars, o.RunKey, o.Force = r.vars, r.key, r.force
						o.Hooks.LeaveChangeLogsToStore = !staging
					})
					got := slices.ContainsFunc(res.Segmentations, func(s SegmentationReport) bool { return s.ChangeLogStaged })
					if got != (staging && r.staged) {
						t.Errorf("run %s (staging %v): staged %v, want %v", r.asOf, staging, got, staging && r.staged)
					}
				}
				for _, q := range tables {
					stores[pass] = append(stores[pass], f.query(q))
				}
			}
			for i, q := range tables {
				if strings.Join(stores[0][i], "\n") != strings.Join(stores[1][i], "\n") {
					t.Errorf("%s\nstaged by the step: %d rows\nby the store: %d rows", q, len(stores[0][i]), len(stores[1][i]))
				}
				if len(stores[0][i]) == 0 {
					t.Errorf("%s: no rows", q)
				}
			}
		})
	}
}
