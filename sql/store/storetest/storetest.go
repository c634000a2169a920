// Package storetest publishes one small, fixed history to a store, on DuckDB or PostgreSQL, so that tests
// can compare what the two stores hold and what segrun's readers print of them. The history touches every
// table and view: two segmentations (one of them multi-valued), members moving, a new segment, a
// segmentation retired, a run key replaced with --force, a rollback, KPIs, models, an export and a
// measurement.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// Exec runs a statement in the workspace the store compares versions from: DuckDB's, or the per-run
// schema of the PostgreSQL database.
type Exec func(ctx context.Context, q string) error

// Entities is how many customers the history has.
const Entities = 40

// Published is the versions the history leaves published (3 was replaced by 4, 5 rolled back).
var Published = []int64{1, 2, 4}

// run is one run of the history: its as-of date, run key, the run it replaces and its segmentations'
// assignments (entity -> segments; "" none).
type run struct {
	asOf    string
	key     string
	replace int64
	tier    func(id int) string
	tags    func(id int) []string // nil: tags is not in this run's spec
}

var history = []run{
	{asOf: "2024-01-31", tier: func(id int) string { return []string{"gold", "silver", ""}[id%3] },
		tags: func(id int) []string { return pick(id, 2, 5) }},
	{asOf: "2024-02-29", tier: func(id int) string { return []string{"gold", "silver", "", "bronze"}[(id+id/7)%4] },
		tags: func(id int) []string { return pick(id, 3, 5) }},
	{asOf: "2024-03-31", key: "march", tier: func(id int) string { return []string{"silver", "gold", "bronze"}[id%3] }},
	{asOf: "2024-03-31", key: "march", replace: 3, tier: func(id int) string { return []string{"gold", "bronze", "silver", ""}[id%4] }},
	{asOf: "2024-04-30", tier: func(id int) string { return "gold" }, tags: func(id int) []string { return pick(id, 2, 3) }},
}

// pick gives entity id the tags whose divisor divides it.
func pick(id, a, b int) []string {
	var out []string
	if id%a == 0 {
		out = append(out, "even")
	}
	if id%b == 0 {
		out = append(out, "fifth")
	}
	return out
}

// Publish publishes the history to st, whose workspace exec writes in, then rolls version 5 back.
func Publish(ctx context.Context, st *store.Store, exec Exec) error {
	for i, r := range history {
		id := int64(i + 1)
		if err := publishRun(ctx, st, exec, id, r); err != nil {
			return fmt.Errorf("run %d: %w", id, err)
		}
	}
	if _, err := st.RollBack(ctx, 4); err != nil {
		return fmt.Errorf("rolling back: %w", err)
	}
	if err := st.RecordExport(ctx, 2, "tier", false, "out/tier.csv"); err != nil {
		return err
	}
	m := store.Measurement{Run: 2, Audience: "tier", Outcome: "purchase", Metric: "converted", WindowDays: 30,
		AsOf: date("2024-02-29"), WindowStart: date("2024-02-29"), WindowEnd: date("2024-03-30"), Events: 12,
		Measured: time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC)}
	return st.SaveMeasurement(ctx, m)
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func publishRun(ctx context.Context, st *store.Store, exec Exec, id int64, r run) error {
	var tier, tags []string
	for e := 1; e <= Entities; e++ {
		if s := r.tier(e); s != "" {
			tier = append(tier, fmt.Sprintf("(%d, '%s')", e, s))
		} else {
			tier = append(tier, fmt.Sprintf("(%d, NULL)", e))
		}
		if r.tags != nil {
			for _, s := range r.tags(e) {
				tags = append(tags, fmt.Sprintf("(%d, '%s')", e, s))
			}
		}
	}
	tables := [][2]string{{"tier", strings.Join(tier, ", ")}}
	if r.tags != nil {
		tables = append(tables, [2]string{"tags", strings.Join(tags, ", ")})
	}
	var versions []store.Version
	for _, t := range tables {
		table := fmt.Sprintf("result_%s_%d", t[0], id)
		for _, q := range []string{
			"CREATE TABLE " + table + " (customer_id BIGINT, segment VARCHAR)",
			"INSERT INTO " + table + " VALUES " + t[1],
		} {
			if err := exec(ctx, q); err != nil {
				return err
			}
		}
		summary, err := store.Encode(map[string]any{"notes": []string{fmt.Sprintf("run %d of %s", id, t[0])}})
		if err != nil {
			return err
		}
		v := store.Version{Segmentation: t[0], Table: table, EntityColumn: "customer_id", Method: "rules",
			Entities: Entities, Summary: store.Summary{Document: summary}, Multi: t[0] == "tags",
			Descriptions: map[string]string{"gold": "the best customers"}}
		if t[0] == "tier" {
			model, err := store.Encode(map[string]any{"prep": map[string]any{"scale": []float64{1.5, 0.25}}})
			if err != nil {
				return err
			}
			v.Method, v.Model = "kmeans", store.Model{Document: model}
		}
		versions = append(versions, v)
	}
	base := int64(0)
	prev, err := st.LatestRun(ctx)
	if r.replace != 0 {
		prev, err = st.PublishedBefore(ctx, r.replace)
	}
	if err != nil {
		return err
	}
	if prev != nil {
		base = prev.ID
	}
	diffs := make([]*store.Diff, len(versions))
	for i, v := range versions {
		if diffs[i], err = st.Diff(ctx, base, v); err != nil {
			return err
		}
	}
	value := float64(id) * 1.25
	rec := store.RunRecord{ID: id, Pipeline: "fixture", AsOf: date(r.asOf), Key: r.key, SpecHash: fmt.Sprintf("%064d", id),
		SegrunVersion: "test", Vars: store.Vars{"as_of": json.RawMessage(`"` + r.asOf + `"`), "min_spend": json.RawMessage("100")},
		Sources: []store.SourceFingerprint{{Source: "customers", Rows: Entities}}, Steps: []store.StepTiming{{Step: "tier", Kind: "segmentation", Rows: Entities, Seconds: 0.5}},
		Warnings:  []string{"a warning of run " + fmt.Sprint(id)},
		StartedAt: time.Date(2024, 5, 1, 10, 0, int(id), 0, time.UTC), Entity: "customer_id", EntityType: "BIGINT",
		KPIs: []store.KPIValue{
			{Segmentation: "tier", KPI: "spend", Position: 0, Value: &value, Members: 30, Format: "currency"},
			{Segmentation: "tier", KPI: "spend", Segment: "gold", Position: 1, Value: &value, Members: 10, Format: "currency", Description: "spend"},
			{Segmentation: "tier", KPI: "spend", Segment: "silver", Position: 2, Members: 0, Format: "currency"},
		},
		Models: []store.ModelVersion{{Model: "churn", Method: "logistic", Report: json.RawMessage(`{"auc":0.75}`), Fitted: json.RawMessage(`{"coef":[1,2]}`)}},
	}
	if _, err := st.Publish(ctx, rec, r.replace, versions, diffs, store.PublishOptions{}); err != nil {
		return err
	}
	for _, v := range versions {
		if err := st.DropStaging(ctx, v.Segmentation); err != nil {
			return err
		}
	}
	return nil
}
