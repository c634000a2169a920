// Package cluster is the cluster segmentation method: the shared pipeline of every clustering algorithm
// (algorithms' registry of fitters picks the algorithm by the block's method:): preprocessing, fitting or
// choosing k, matching cluster ids with the previous version, validity, profiles and the explaining tree,
// refit: never with the stored model, and staging the change log.
package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
	"github.com/segrun/segrun/sql/store"
)

// method prepares the features and clusters them with the algorithms package. Cluster ids stay
// stable across versions: the new clusters are matched to the previous version's by centroid distance, so
// a cluster keeps its id and its name while its members drift.
type method struct{}

func init() { methods.Register("cluster", method{}) }

func (method) Label(seg spec.Segmentation) string { return "cluster:" + seg.Cluster.Method }

// ReadsRunVars is false: a clustering has no rules, so input columns named vars or as_of are features.
func (method) ReadsRunVars() bool { return false }

// Check types the features and params, and gives the cluster id and, for a method with a likelihood (gmm),
// each row's membership probability.
func (method) Check(env methods.CheckEnv) []sql.Column {
	seg := env.Segmentation()
	checkCluster(env, env.Pointer()+"/cluster", seg.Cluster)
	out := []sql.Column{{Name: "cluster", Type: "INTEGER"}}
	if f, err := algorithms.FitterFor(seg.Cluster.Method); err == nil && f.Likelihood {
		out = append(out, sql.Column{Name: "probability", Type: "DOUBLE"})
	}
	return out
}

// storedModel is what a clustering version keeps, so later runs with refit: never assign rows exactly as
// this fit did, and later fits can be matched to it.
type storedModel struct {
	Prep  *algorithms.Prep  `json:"prep"`
	Model *algorithms.Model `json:"model"`
	// IDs maps the model's own cluster labels to stable cluster ids.
	IDs []int `json:"ids"`
	// Segments names each stable id.
	Segments map[int]string `json:"segments"`
	// Run is the version that fitted the model.
	Run int64 `json:"run"`
	// NextID is the lowest cluster id this segmentation has never given (0 in models stored before it was
	// kept: their highest id + 1 stands in). Fresh ids start there, so that a vanished cluster's id is not
	// reused for another cluster.
	NextID int `json:"next_id,omitempty"`
	// Spec is modelSpec of the spec it was fitted for ("" in models stored before it was kept): with
	// refit: never, a changed spec is fitted anew rather than ignored.
	Spec string `json:"spec,omitempty"`
}

// modelSpec is the part of a cluster spec that a fitted model embodies, canonically written: what
// refit: never holds fixed. Names are not in it: they label the model's clusters, and may change.
func modelSpec(cl *spec.Cluster) string {
	transform := map[string]spec.TransformSteps{}
	for _, t := range cl.Transform {
		transform[t.Key] = t.Value
	}
	b, err := json.Marshal(struct {
		Method    string                         `json:"method"`
		Features  []string                       `json:"features"`
		Impute    string                         `json:"impute,omitempty"`
		Transform map[string]spec.TransformSteps `json:"transform,omitempty"`
		Scale     string                         `json:"scale,omitempty"`
		PCA       *spec.PCA                      `json:"pca,omitempty"`
		K         spec.K                         `json:"k"`
		Seed      uint64                         `json:"seed"`
		Params    map[string]any                 `json:"params,omitempty"`
	}{cl.Method, cl.Features, cl.Impute, transform, cl.Scale, cl.PCA, cl.K, cl.Seed, cl.Params})
	if err != nil {
		return "" // not comparable: treated as a model stored before specs were kept
	}
	return string(b)
}

// fits says whether the stored model was fitted for this cluster spec (or predates the record of it).
func (m *storedModel) fits(cl *spec.Cluster) bool {
	return m.Spec == "" || m.Spec == modelSpec(cl)
}

// named is the model with its clusters named as the spec names them now; the stored model itself is left
// as it is, for the change log's view of the previous version.
func (m *storedModel) named(cl *spec.Cluster) *storedModel {
	c := *m
	c.Segments = make(map[int]string, len(m.IDs))
	for _, id := range m.IDs {
		c.Segments[id] = clusterName(cl, id)
	}
	return &c
}

// previousClusters is what matching needs of the previous version's model: every id it had, and where
// fresh ids start.
func (m *storedModel) previousClusters() algorithms.PreviousClusters {
	if m == nil {
		return algorithms.PreviousClusters{}
	}
	return algorithms.PreviousClusters{IDs: sortedIDs(m.IDs), NextID: m.NextID}
}

// clusterInput is the segmentation's input rows as Arrow batches plus the features as a Frame.
type clusterInput struct {
	batches []arrow.RecordBatch
	frame   *algorithms.Frame
	// prev holds each row's cluster id in the previous version, or Noise when it had none.
	prev []int
	// was holds what each row was in the previous version: a cluster id, prevNone, prevNoise or
	// prevOther; joined says whether the read looked the previous version up at all.
	was    []int32
	joined bool
}

// What a row of the clustering's input was in the previous version, besides a cluster id.
const (
	prevNone  = -1 // no segment
	prevNoise = -2 // the noise segment
	prevOther = -3 // a segment the previous model does not name
)

// job is one clustering being computed: the method's environment, and what the pipeline's steps read of
// it often.
type job struct {
	env     methods.Env
	name    string
	entity  string
	seg     spec.Segmentation
	report  *methods.Report
	version *store.Version
}

func (method) Run(ctx context.Context, env methods.Env) error {
	j := &job{env: env, name: env.Name(), entity: env.Entity(), seg: env.Segmentation(), report: env.Report(), version: env.Version()}
	cl := j.seg.Cluster
	prevModel, prevAssigned, err := previousModel(ctx, env)
	if err != nil {
		return err
	}
	return j.env.WithArrow(ctx, func(a *sql.Arrow) error {
		mark := time.Now()
		timed := func(what string) {
			j.env.Log().Debug("cluster phase", "segmentation", j.name, "phase", what, "seconds", time.Since(mark).Seconds())
			mark = time.Now()
		}
		prevIDs := prevModel.segmentIDs()
		in, err := readClusterInput(a, j, prevIDs)
		if err != nil {
			return err
		}
		timed("read input")
		defer methods.Release(in.batches)
		rep := &methods.ClusterReport{}
		var model *storedModel
		var X *algorithms.Matrix
		var labels []int // stable cluster id per prepared row, or Noise
		var prob []float64
		if cl.Refit == "never" && prevModel != nil && prevModel.fits(cl) {
			model = prevModel.named(cl)
			X, labels, prob, rep.Prep, err = assignWithModel(model, in.frame)
			rep.ModelRun, rep.Method, rep.K = model.Run, model.Model.Method, len(model.IDs)
			if err == nil && model.Model.GMM != nil { // how well the stored mixture fits this version's rows
				rep.Fit.Method = model.Model.Method
				rep.Fit.LogLikelihood, rep.Fit.BIC, err = model.Model.GMM.Score(X)
			}
		} else {
			if cl.Refit == "never" && prevModel != nil {
				j.report.Notes = append(j.report.Notes, fmt.Sprintf("refit: never: the cluster spec has changed since version %d fitted the stored model; fitted anew", prevModel.Run))
			}
			model, X, labels, prob, err = fit(j, in, rep, prevModel, len(prevIDs) > 0)
			rep.Fitted = true
			if err == nil && cl.Refit == "never" {
				var moved int
				if labels, prob, moved, err = adoptModelAssignment(model, X, labels, prob); moved > 0 {
					j.report.Notes = append(j.report.Notes, fmt.Sprintf(
						"refit: never: %d rows are published as the stored model assigns them, not as the fit labelled them, so that later runs assign the same data alike", moved))
				}
			}
		}
		if err != nil {
			return env.Fail(err.Error())
		}
		timed("prepare and fit")
		kept := rep.Prep.Kept
		rowOf := func(i int) int { // input row of prepared row i
			if kept == nil {
				return i
			}
			return kept[i]
		}
		evaluateClusters(j, rep, model, in, X, labels, rowOf)
		timed("validity, profiles and explanations")
		j.report.Cluster = rep
		j.env.SetModel(model)
		j.version.Segments = slices.Sorted(maps.Values(model.Segments))
		j.version.Descriptions = map[string]string{}
		for _, p := range rep.Profiles {
			j.version.Descriptions[p.Segment] = p.Description
		}
		ids := clusterIDs(len(in.was), labels, rowOf)
		if err = writeClusters(a, j, model, in, ids, labels, prob, rowOf); err != nil {
			return err
		}
		timed("write")
		err = stageClusterDiff(a, j, model, prevModel, prevAssigned, in, ids)
		timed("stage change log")
		return err
	})
}

// readClusterInput pulls the entity, the features and each entity's previous segment in one query, in
// entity order: DuckDB's parallel operators return rows in an order that varies from run to run, and
// seeded choices (k-means++ seeds, samples) pick rows by position, so without a fixed order the same data
// and seed could give different clusters.
func readClusterInput(a *sql.Arrow, j *job, prevIDs map[string]int) (*clusterInput, error) {
	cl := j.seg.Cluster
	base := j.env.BaseRun()
	q := fmt.Sprintf(`SELECT f.%[1]s, %[2]s, %[6]s AS segrun_prev FROM %[3]s f
		LEFT JOIN (SELECT entity, segment FROM %[4]s WHERE segmentation = %[5]s) p
		ON p.entity = f.%[1]s
		ORDER BY f.%[1]s`,
		sql.Ident(j.entity), prefixed("f.", cl.Features), sql.Ident(j.seg.From), store.MembershipsAsOf(base), sql.Literal(j.name), previousID(prevIDs))
	joined := true
	if base == 0 || len(prevIDs) == 0 { // the first version: there are no memberships to read yet
		q = fmt.Sprintf(`SELECT %[1]s, %[2]s, %[4]d::INTEGER AS segrun_prev FROM %[3]s ORDER BY %[1]s`, sql.Ident(j.entity), methods.IdentList(cl.Features),
			sql.Ident(j.seg.From), prevNone)
		joined = false
	}
	batches, _, err := methods.ReadBatches(a, q)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, b := range batches {
		n += int(b.NumRows())
	}
	in := &clusterInput{batches: batches, frame: &algorithms.Frame{}, prev: make([]int, n), was: make([]int32, n), joined: joined}
	for c, name := range cl.Features {
		col := algorithms.Column{Name: name}
		if len(batches) > 0 && isTextArrow(batches[0].Column(1+c)) {
			col.Text, col.Null = make([]string, n), make([]bool, n)
		} else {
			col.Num = make([]float64, n)
		}
		offset := 0
		seen := map[string]string{}
		for _, b := range batches {
			arr := b.Column(1 + c)
			if col.Text != nil {
				textInto(arr, col.Text[offset:], col.Null[offset:], seen)
			} else if err := rules.FloatsInto(arr, col.Num[offset:]); err != nil {
				methods.Release(batches)
				return nil, fmt.Errorf("segmentation %s, column %s: %w", j.name, name, err)
			}
			offset += arr.Len()
		}
		in.frame.Columns = append(in.frame.Columns, col)
	}
	offset := 0
	for _, b := range batches {
		prev, ok := b.Column(1 + len(cl.Features)).(*array.Int32)
		if !ok {
			methods.Release(batches)
			return nil, fmt.Errorf("segmentation %s: previous clusters read as %s", j.name, b.Column(1+len(cl.Features)).DataType())
		}
		for i, id := range prev.Int32Values() {
			in.was[offset+i] = id
			in.prev[offset+i] = max(int(id), algorithms.Noise) // matching and stability see no cluster
		}
		offset += prev.Len()
	}
	return in, nil
}

// previousID is the SQL that turns the previous version's segment (p.segment) into its cluster id, or
// Noise for none: DuckDB does it as it joins, so a million names are not decoded and looked up in Go.
func previousID(prevIDs map[string]int) string {
	names := slices.Sorted(maps.Keys(prevIDs))
	var b strings.Builder
	fmt.Fprintf(&b, "CASE WHEN p.segment IS NULL THEN %d", prevNone)
	for _, n := range names {
		fmt.Fprintf(&b, " WHEN p.segment = %s THEN %d", sql.Literal(n), prevIDs[n])
	}
	fmt.Fprintf(&b, " WHEN p.segment = %s THEN %d ELSE %d END::INTEGER", sql.Literal(spec.NoiseSegment), prevNoise, prevOther)
	return b.String()
}

func prefixed(prefix string, cols []string) string {
	out := ""
	for i, c := range cols {
		if i > 0 {
			out += ", "
		}
		out += prefix + sql.Ident(c)
	}
	return out
}

func isTextArrow(a arrow.Array) bool {
	switch a.(type) {
	case *array.String, *array.Boolean:
		return true
	}
	_, _, ok := rules.Enum(a)
	return ok
}

// textInto reads a text (boolean, ENUM) Arrow column into out and its NULL mask into nulls. The strings
// are copies, interned in seen (one per distinct value, shared across a column's batches): Arrow's Value
// points into the batch's buffers, which are released when the step ends, while the fitted model keeps
// the one-hot categories until it is published, and a frame must not outlive the memory of its values.
func textInto(a arrow.Array, out []string, nulls []bool, seen map[string]string) {
	own := func(v string) string {
		if s, ok := seen[v]; ok {
			return s
		}
		s := strings.Clone(v)
		seen[s] = s
		return s
	}
	for i := range a.Len() {
		if a.IsNull(i) {
			nulls[i] = true
			continue
		}
		switch x := a.(type) {
		case *array.String:
			out[i] = own(x.Value(i))
		case *array.Boolean:
			out[i] = strconv.FormatBool(x.Value(i))
		default:
			if d, names, ok := rules.Enum(a); ok {
				out[i] = own(names.Value(d.GetValueIndex(i)))
			}
		}
	}
}

// prepSpec translates the spec's preprocessing into the algorithms package's.
func prepSpec(cl *spec.Cluster) algorithms.PrepSpec {
	ps := algorithms.PrepSpec{Impute: cl.Impute, Scale: cl.Scale, Transform: map[string][]algorithms.Transform{}}
	for _, t := range cl.Transform {
		for _, step := range t.Value {
			ps.Transform[t.Key] = append(ps.Transform[t.Key], algorithms.Transform{Kind: step.Kind, Lower: step.Lower, Upper: step.Upper})
		}
	}
	if cl.PCA != nil {
		ps.PCA = &algorithms.PCASpec{Components: cl.PCA.Components, Variance: cl.PCA.Variance}
	}
	return ps
}

// fit prepares the features, fits the method (searching k when asked) and matches the clusters to the
// previous version's.
func fit(j *job, in *clusterInput, rep *methods.ClusterReport, prevModel *storedModel, hasPrevious bool) (*storedModel, *algorithms.Matrix, []int, []float64, error) {
	cl := j.seg.Cluster
	prep, X, prepRep, err := algorithms.FitPrep(in.frame, prepSpec(cl))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rep.Prep = prepRep
	cs := algorithms.ClusterSpec{Method: cl.Method, K: cl.K.Value, Seed: cl.Seed, Params: cl.Params, Workers: j.env.Threads()}
	var c *algorithms.Clustering
	if cl.K.IsRange() {
		by := cl.K.By
		if by == "" {
			by = "silhouette"
		}
		rep.KBy = by
		c, rep.KScores, err = algorithms.ChooseK(X, algorithms.KRange{Min: cl.K.Min, Max: cl.K.Max, By: by}, cs,
			algorithms.EvalOptions{Seed: cl.Seed, Workers: j.env.Threads()})
	} else {
		c, err = algorithms.Cluster(X, cs)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rep.Method, rep.K, rep.Fit = c.Report.Method, c.K, c.Report
	// Match to the previous version: each prepared row's previous cluster id.
	prevLabels := in.prev
	if prepRep.Kept != nil {
		prevLabels = make([]int, X.Rows)
		for i, row := range prepRep.Kept {
			prevLabels[i] = in.prev[row]
		}
	}
	m := algorithms.MatchClusters(X, c.Labels, prevLabels, prevModel.previousClusters())
	rep.New, rep.Vanished = m.New, m.Vanished
	if !hasPrevious {
		rep.New = nil // the first version: nothing to be new against
	}
	labels := make([]int, len(c.Labels))
	for i, l := range c.Labels {
		if l == algorithms.Noise {
			labels[i] = algorithms.Noise
		} else {
			labels[i] = m.IDs[l]
		}
	}
	model := &storedModel{Prep: prep, Model: c.Model, IDs: m.IDs, Segments: map[int]string{}, Run: 0, Spec: modelSpec(cl)}
	model.NextID = prevModel.previousClusters().NextID
	for _, id := range append(slices.Clip(m.IDs), m.Vanished...) {
		model.NextID = max(model.NextID, id+1)
	}
	for _, id := range m.IDs {
		model.Segments[id] = clusterName(cl, id)
	}
	return model, X, labels, c.Probability, nil
}

// clusterName is a cluster's segment: its name from names:, else cluster_<id>.
func clusterName(cl *spec.Cluster, id int) string {
	if n, ok := cl.Names[strconv.Itoa(id)]; ok {
		return n
	}
	return fmt.Sprintf("cluster_%d", id)
}

// assignWithModel applies a stored preprocessing and model to new rows (refit: never).
func assignWithModel(m *storedModel, f *algorithms.Frame) (*algorithms.Matrix, []int, []float64, *algorithms.PrepReport, error) {
	X, rep, err := m.Prep.Apply(f)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	labels, prob, err := m.predict(X)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return X, labels, prob, rep, nil
}

// predict assigns prepared rows with the model: a stable cluster id per row, or Noise.
func (m *storedModel) predict(X *algorithms.Matrix) ([]int, []float64, error) {
	fitted, prob, err := m.Model.Predict(X)
	if err != nil {
		return nil, nil, err
	}
	labels := make([]int, len(fitted))
	for i, l := range fitted {
		if l == algorithms.Noise || l < 0 || l >= len(m.IDs) {
			labels[i] = algorithms.Noise
		} else {
			labels[i] = m.IDs[l]
		}
	}
	return labels, prob, nil
}

// adoptModelAssignment replaces a fit's own labels by the fitted model's assignment of the same rows, for
// refit: never: later versions assign with the stored model, and the fit's labels are not always the
// model's (hierarchical labels come from the tree, not from the nearest centroid; DBSCAN stores at most
// 50,000 core points; a row at an exact tie between two k-means centroids may fall either way).
// Published as fitted, unchanged data would move entities at the next run. It returns how many rows the
// model assigns differently, for the summary.
func adoptModelAssignment(model *storedModel, X *algorithms.Matrix, labels []int, prob []float64) ([]int, []float64, int, error) {
	assigned, p, err := model.predict(X)
	if err != nil {
		return labels, prob, 0, err
	}
	moved := 0
	for i := range labels {
		if assigned[i] != labels[i] {
			moved++
		}
	}
	return assigned, p, moved, nil
}

// previousModel loads the model the base version stored for the segmentation, or nil, and how many
// entities that version assigned a segment (0 when it has no version of the segmentation).
func previousModel(ctx context.Context, env methods.Env) (*storedModel, int64, error) {
	doc, assigned, err := env.PreviousModel(ctx)
	if err != nil {
		return nil, 0, err
	}
	m, ok, err := store.Decode[storedModel](doc.Document)
	if err != nil {
		return nil, 0, fmt.Errorf("reading the stored model of %s in version %d: %w", env.Name(), env.BaseRun(), err)
	}
	if !ok || m.Model == nil || m.Prep == nil {
		return nil, assigned, nil
	}
	if m.Run == 0 {
		m.Run = env.BaseRun()
	}
	return &m, assigned, nil
}

// segmentIDs maps a stored model's segment names to their cluster ids; empty for no model.
func (m *storedModel) segmentIDs() map[string]int {
	ids := map[string]int{}
	if m != nil {
		for id, seg := range m.Segments {
			ids[seg] = id
		}
	}
	return ids
}

// evaluateClusters fills the report: validity, stability against the previous version, profiles in raw
// units, descriptions, and the explaining tree's rules. They are independent, so they run side by side:
// on the benchmark's 1M rows validity, descriptions and the tree took 0.14, 0.12 and 0.13 s one after
// another.
func evaluateClusters(j *job, rep *methods.ClusterReport, model *storedModel, in *clusterInput, X *algorithms.Matrix, labels []int, rowOf func(int) int) {
	cl := j.seg.Cluster
	for _, id := range rep.New {
		j.report.Notes = append(j.report.Notes, fmt.Sprintf("cluster %d (%s) is new: no cluster of the previous version matched it", id, model.Segments[id]))
	}
	for _, id := range rep.Vanished {
		j.report.Notes = append(j.report.Notes, fmt.Sprintf("cluster %d of the previous version has no counterpart in this one", id))
	}
	if rep.Prep.Dropped > 0 {
		j.report.Notes = append(j.report.Notes, fmt.Sprintf("%d rows with a missing value were left out of every segment (impute: drop)", rep.Prep.Dropped))
	}
	j.report.Notes = append(j.report.Notes, rep.Fit.Notes...)
	j.report.Notes = append(j.report.Notes, rep.Prep.Warnings...)

	// Profiles, descriptions and the tree use the raw features of the clustered rows, in the user's own
	// units: the input's columns themselves when no row was dropped.
	raw := &algorithms.Frame{}
	for _, c := range in.frame.Columns {
		if c.Num == nil {
			continue // text features are one-hot encoded; their profile is not a mean
		}
		rc := algorithms.Column{Name: c.Name, Num: c.Num}
		if rep.Prep.Kept != nil {
			rc.Num = make([]float64, len(labels))
			for i := range labels {
				rc.Num[i] = c.Num[rowOf(i)]
			}
		}
		raw.Columns = append(raw.Columns, rc)
	}
	ids := sortedIDs(model.IDs)
	dense := make([]int, len(labels)) // ids renumbered 0..k-1 for the functions that want that
	pos := make([]int, slices.Max(append([]int{0}, ids...))+1)
	for i, id := range ids {
		pos[id] = i
	}
	for i, l := range labels {
		if l == algorithms.Noise {
			dense[i] = algorithms.Noise
		} else {
			dense[i] = pos[l]
		}
	}
	var descriptions []string
	var expl *algorithms.Explanation
	concurrently(
		func() {
			rep.Validity = algorithms.Evaluate(X, labels, algorithms.EvalOptions{Seed: cl.Seed, Workers: j.env.Threads()})
		},
		func() {
			if len(raw.Columns) > 0 {
				descriptions = algorithms.DescribeClusters(raw, dense, len(ids), j.env.Threads())
			}
		},
		func() {
			if len(raw.Columns) > 0 {
				if x, err := algorithms.ExplainClusters(raw, dense, 3, j.env.Threads()); err == nil {
					expl = x
					rep.Fidelity = x.Fidelity
				}
			}
		},
		func() {
			rep.Stability = stability(in.prev, labels, rowOf)
			rep.Profiles = profiles(raw, dense, ids, model)
		},
	)
	if expl != nil {
		// What the tree left out (noise, rows with a missing value) and whether it grew on a sample: without
		// these, a rule covering fewer rows than its cluster, or the fidelity's base, would be unexplained.
		for _, n := range expl.Notes {
			j.report.Notes = append(j.report.Notes, "explaining tree: "+n)
		}
		if expl.Sampled {
			j.report.Notes = append(j.report.Notes, fmt.Sprintf("explaining tree: grown on a seeded sample of %d of %d rows", expl.FittedRows, expl.Rows))
		}
	}
	for i := range rep.Profiles {
		p := &rep.Profiles[i]
		if i < len(descriptions) {
			p.Description = descriptions[i]
		}
		if expl != nil {
			for _, cr := range expl.Clusters {
				if cr.Cluster == i {
					p.Rules = cr.Rules
				}
			}
		}
	}
}

// stability is the adjusted Rand index over the entities clustered in both versions, or nil when none was.
func stability(prev, labels []int, rowOf func(int) int) *float64 {
	a, b := make([]int, 0, len(labels)), make([]int, 0, len(labels))
	for i, l := range labels {
		if p := prev[rowOf(i)]; p != algorithms.Noise && l != algorithms.Noise {
			a, b = append(a, p), append(b, l)
		}
	}
	if len(a) == 0 {
		return nil
	}
	ari := algorithms.AdjustedRandIndex(a, b)
	return &ari
}

// profiles gives each cluster's size and, per feature, the mean and spread of its non-missing values: the
// count and sum in one pass over the rows, then the squared deviations from the mean in a second.
func profiles(raw *algorithms.Frame, dense, ids []int, model *storedModel) []methods.ClusterProfile {
	k, d := len(ids), len(raw.Columns)
	sizes := make([]int, k)
	counts, sums, sqs := make([]int, k*d), make([]float64, k*d), make([]float64, k*d)
	for r, l := range dense {
		if l == algorithms.Noise {
			continue
		}
		sizes[l]++
		for c, col := range raw.Columns {
			if v := col.Num[r]; !math.IsNaN(v) {
				counts[l*d+c]++
				sums[l*d+c] += v
			}
		}
	}
	for r, l := range dense {
		if l == algorithms.Noise {
			continue
		}
		for c, col := range raw.Columns {
			if v := col.Num[r]; !math.IsNaN(v) {
				dv := v - sums[l*d+c]/float64(counts[l*d+c])
				sqs[l*d+c] += dv * dv
			}
		}
	}
	out := make([]methods.ClusterProfile, k)
	for i, id := range ids {
		p := methods.ClusterProfile{Segment: model.Segments[id], ID: id, Size: sizes[i], Means: map[string]float64{}, SDs: map[string]float64{}}
		for c, col := range raw.Columns {
			if n := counts[i*d+c]; n > 0 {
				p.Means[col.Name] = sums[i*d+c] / float64(n)
				p.SDs[col.Name] = math.Sqrt(sqs[i*d+c] / float64(n))
			}
		}
		out[i] = p
	}
	return out
}

// concurrently runs fns on their own goroutines and waits for all of them. A panic in one is raised again
// on the caller's goroutine once all have finished, with the stack where it happened, so it surfaces where
// the run can recover it.
func concurrently(fns ...func()) {
	var wg sync.WaitGroup
	panics := make([]string, len(fns))
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					panics[i] = fmt.Sprintf("%v\n%s", r, debug.Stack())
				}
			}()
			fn()
		}()
	}
	wg.Wait()
	if msg := strings.Join(slices.DeleteFunc(panics, func(p string) bool { return p == "" }), "\n"); msg != "" {
		panic(msg)
	}
}

// notClustered is the cluster id of an input row left out of the clustering (impute: drop).
const notClustered = -2

// clusterIDs gives each of n input rows its cluster id: labels[i] for the row prepared row i came from,
// notClustered for rows left out.
func clusterIDs(n int, labels []int, rowOf func(int) int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = notClustered
	}
	for i, l := range labels {
		ids[rowOf(i)] = int32(l)
	}
	return ids
}

// clusterSegmentCase is the SQL expression turning the column cluster (an id, or Noise) into the segment.
func clusterSegmentCase(model *storedModel) string {
	codes, names := []int{algorithms.Noise}, []string{spec.NoiseSegment}
	for _, id := range sortedIDs(model.IDs) {
		codes, names = append(codes, id), append(names, model.Segments[id])
	}
	return methods.SegmentCase("cluster", codes, names)
}

func sortedIDs(ids []int) []int {
	out := append([]int(nil), ids...)
	sort.Ints(out)
	return out
}

// writeClusters writes the result table: entity, segment, cluster id and, for a method with a likelihood (gmm), the membership
// probability. Noise rows get the segment noise; rows dropped by impute: drop get none.
func writeClusters(a *sql.Arrow, j *job, model *storedModel, in *clusterInput, ids []int32, labels []int, prob []float64, rowOf func(int) int) error {
	n := len(ids)
	f, err := algorithms.FitterFor(j.seg.Cluster.Method)
	if err != nil {
		return err
	}
	withProbability := f.Likelihood
	var probs []float64
	if withProbability {
		probs = make([]float64, n)
		for i := range labels {
			if prob != nil {
				probs[rowOf(i)] = prob[i]
			}
		}
	}
	// One array per input batch, over the slices above: nothing is copied into Arrow builders.
	idArrays, probArrays := make([]arrow.Array, len(in.batches)), make([]arrow.Array, len(in.batches))
	offset := 0
	for bi, b := range in.batches {
		rows := int(b.NumRows())
		idArrays[bi] = methods.Int32Array(ids[offset : offset+rows])
		if withProbability {
			probArrays[bi] = methods.Float64Array(probs[offset : offset+rows])
		}
		offset += rows
	}
	defer func() {
		for i := range idArrays {
			idArrays[i].Release()
			if withProbability {
				probArrays[i].Release()
			}
		}
	}()
	fields := []arrow.Field{{Name: "cluster", Type: arrow.PrimitiveTypes.Int32}}
	cols := [][]arrow.Array{idArrays}
	if withProbability {
		fields = append(fields, arrow.Field{Name: "probability", Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, probArrays)
	}
	reader, err := methods.WithColumns(in.batches, 0, fields, cols)
	if err != nil {
		return err
	}
	defer reader.Release()
	sel := fmt.Sprintf("%s, %s AS segment, nullif(cluster, -1) AS cluster", sql.Ident(j.entity), clusterSegmentCase(model))
	if withProbability {
		sel += ", probability"
	}
	return a.CreateTable(j.name, reader, sel, "cluster >= -1")
}
