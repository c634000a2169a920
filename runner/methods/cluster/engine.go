package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// A clustering on an engine (methods.EngineRunner): fitted in Go on a seeded sample (SampleSQL, the same
// rows on every engine), then every row assigned inside the engine by one statement replaying the fitted
// model (AssignmentSQL), after one statement of counts has checked the preprocessing can apply to every
// row (NewPrepCheck). What crosses is the sample, never a row per entity. The same path runs on DuckDB
// when the spec gives sample_rows, so the two engines fit the same sample alike.

// CheckOnEngine refuses a method whose assignment has no SQL form (dbscan), at the method's line.
func (method) CheckOnEngine(env methods.CheckEnv, engine string) {
	at := env.Pointer() + "/cluster/method"
	if env.IsBroken(at) {
		return
	}
	if err := PushdownError(env.Segmentation().Cluster.Method, engine); err != nil {
		env.ErrorAt(at, "cluster.engine", err.Error(), "")
	}
}

// OnDuckDB says the engine path is also DuckDB's for seg: a clustering fitted on a sample.
func (method) OnDuckDB(seg spec.Segmentation) bool {
	return seg.Cluster != nil && seg.Cluster.SampleRows > 0
}

// SampleRows is how many rows a clustering fits on in the engine: the spec's sample_rows, or
// DefaultSampleRows.
func SampleRows(cl *spec.Cluster) int {
	if cl.SampleRows > 0 {
		return cl.SampleRows
	}
	return DefaultSampleRows
}

func (method) RunOnEngine(ctx context.Context, env methods.EngineEnv) error {
	j := &job{env: env, name: env.Name(), entity: env.Entity(), seg: env.Segmentation(), report: env.Report(), version: env.Version()}
	cl := j.seg.Cluster
	prevModel, _, err := previousModel(ctx, env)
	if err != nil {
		return err
	}
	mark := time.Now()
	timed := func(what string) {
		env.Log().Debug("cluster phase", "segmentation", j.name, "engine", env.Engine(), "phase", what, "seconds", time.Since(mark).Seconds())
		mark = time.Now()
	}
	rows := SampleRows(cl)
	// The sample's input: decimal columns as the doubles Go would read them as (PostgreSQL's binary COPY
	// has no decoder for numeric, and the cast is correctly rounded on both engines), and each row's
	// cluster id in the previous version, for matching the new clusters with the previous ones as the
	// DuckDB path does over every row.
	prevIDs := prevModel.segmentIDs()
	prevSQL := fmt.Sprintf("CAST(%d AS INTEGER)", prevNone)
	join := ""
	joined := false
	if from := env.PreviousMemberships(); from != "" && len(prevIDs) > 0 {
		prevSQL, joined = previousID(prevIDs), true
		join = fmt.Sprintf(" LEFT JOIN (SELECT entity, segment FROM %s segrun_m WHERE segmentation = %s) p ON p.entity = f.%s", from, sql.Literal(j.name), sql.Ident(j.entity))
	}
	src := "segrun_sample_" + j.name
	if err := env.Exec(ctx, "CREATE VIEW "+sql.Ident(src)+" AS SELECT "+sampleColumns(j.entity, cl.Features, env.Input())+", "+prevSQL+" AS segrun_prev FROM "+sql.Ident(j.seg.From)+" f"+join); err != nil {
		return fmt.Errorf("segmentation %s: %w", j.name, err)
	}
	defer env.Exec(context.WithoutCancel(ctx), "DROP VIEW IF EXISTS "+sql.Ident(src))
	batches, err := env.Pull(ctx, SampleSQL(src, j.entity, append(slices.Clip(cl.Features), "segrun_prev"), cl.Seed, rows))
	if err != nil {
		return fmt.Errorf("segmentation %s: pulling the sample: %w", j.name, err)
	}
	defer methods.Release(batches)
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	frame, err := frameOf(j, batches, n)
	if err != nil {
		return err
	}
	in := &clusterInput{batches: batches, frame: frame, prev: make([]int, n), was: make([]int32, n), joined: joined}
	offset := 0
	for _, b := range batches {
		prev, ok := b.Column(1 + len(cl.Features)).(*array.Int32)
		if !ok {
			return fmt.Errorf("segmentation %s: previous clusters read as %s", j.name, b.Column(1+len(cl.Features)).DataType())
		}
		for i, id := range prev.Int32Values() {
			in.was[offset+i] = id
			in.prev[offset+i] = max(int(id), algorithms.Noise)
		}
		offset += prev.Len()
	}
	timed("pull sample")
	rep := &methods.ClusterReport{}
	var model *storedModel
	var X *algorithms.Matrix
	var labels []int
	var prob []float64
	if cl.Refit == "never" && prevModel != nil && prevModel.fits(cl) {
		model = prevModel.named(cl)
		X, labels, prob, err = assignStored(model, in.frame, rep)
	} else {
		model, X, labels, prob, err = fit(j, in, rep, prevModel, len(prevIDs) > 0)
		rep.Fitted = true
		if err == nil {
			// Every row is published as the model assigns it in SQL; the sample's profiles describe the same.
			var moved int
			if labels, prob, moved, err = adoptModelAssignment(model, X, labels, prob); moved > 0 {
				j.report.Notes = append(j.report.Notes, fmt.Sprintf(
					"%d sampled rows are published as the fitted model assigns them, not as the fit labelled them", moved))
			}
		}
	}
	if err != nil {
		return env.Fail(err.Error())
	}
	_ = prob // the assignment SQL computes each row's probability itself, over every row
	timed("prepare and fit")
	kept := rep.Prep.Kept
	rowOf := func(i int) int {
		if kept == nil {
			return i
		}
		return kept[i]
	}
	evaluateClusters(j, rep, model, in, X, labels, rowOf)
	model.Projection = algorithms.ProjectSample(X, labels, projectionSample, cl.Seed)
	if n >= rows {
		j.report.Notes = append(j.report.Notes, fmt.Sprintf(
			"fitted on a seeded sample of %d rows (sample_rows); validity, profiles and the explaining tree are the sample's, every row was assigned in the engine", n))
	}
	timed("validity, profiles and explanations")
	check, err := NewPrepCheck(model.Prep, j.seg.From)
	if err != nil {
		return err
	}
	counts := make([]int64, len(check.checks))
	ptrs := make([]any, len(counts))
	for i := range counts {
		ptrs[i] = &counts[i]
	}
	if len(counts) > 0 {
		if err := env.QueryRow(ctx, check.Statement).Scan(ptrs...); err != nil {
			return fmt.Errorf("segmentation %s: checking the preprocessing: %w", j.name, err)
		}
		if err := check.Err(counts); err != nil {
			return env.Fail(err.Error())
		}
	}
	q, err := AssignmentSQL(model.Prep, model.Model, model.IDs, model.Segments, j.seg.From, j.entity)
	if err != nil {
		return err
	}
	if env.Engine() == "duckdb" {
		// DuckDB's result tables hold segments as an ENUM (methods.SegmentType), which profiles and the
		// store read as such.
		q = fmt.Sprintf("SELECT * REPLACE (CAST(segment AS %s) AS segment) FROM (%s) segrun_assigned", methods.SegmentType(slices.Collect(maps.Values(model.Segments))), q)
	}
	if err := env.CreateTableAs(ctx, j.name, q); err != nil {
		return fmt.Errorf("segmentation %s: assigning: %w", j.name, err)
	}
	timed("assign in the engine")
	j.report.Cluster = rep
	env.SetModel(model)
	j.version.Segments = slices.Sorted(maps.Values(model.Segments))
	j.version.Descriptions = map[string]string{}
	for _, p := range rep.Profiles {
		j.version.Descriptions[p.Segment] = p.Description
	}
	return nil
}

// sampleColumns selects the entity and features, each DECIMAL or NUMERIC feature cast to DOUBLE PRECISION.
func sampleColumns(entity string, features []string, input []sql.Column) string {
	out := []string{sql.Ident(entity)}
	for _, f := range features {
		i := slices.IndexFunc(input, func(c sql.Column) bool { return c.Name == f })
		if i >= 0 && (strings.HasPrefix(input[i].Type, "DECIMAL") || strings.HasPrefix(input[i].Type, "NUMERIC")) {
			out = append(out, "CAST("+sql.Ident(f)+" AS DOUBLE PRECISION) AS "+sql.Ident(f))
		} else {
			out = append(out, sql.Ident(f))
		}
	}
	return strings.Join(out, ", ")
}
