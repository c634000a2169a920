package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql/store"
)

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
	// Projection is a seeded sample of this version's rows on the first two principal components of the
	// prepared features, labelled by stable cluster id: segrun report's scatter plot. A later run never
	// reads it; it is here, not in the summary, so segrun show's JSON stays readable.
	Projection *algorithms.Projection `json:"projection,omitempty"`
}

// projectionSample is how many rows the stored projection keeps: enough for a scatter plot to show
// each cluster's shape, about 60 KB of JSON per version.
const projectionSample = 2000

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
		Members   []spec.ClusterMember           `json:"members,omitempty"`
		Search    *spec.ClusterSearch            `json:"search,omitempty"`
		// SampleRows is absent when 0, so models stored before it existed still fit their specs.
		SampleRows int `json:"sample_rows,omitempty"`
	}{cl.Method, cl.Features, cl.Impute, transform, cl.Scale, cl.PCA, cl.K, cl.Seed, cl.Params, cl.Members, cl.Search, cl.SampleRows})
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

// clusterName is a cluster's segment: its name from names:, else cluster_<id>.
func clusterName(cl *spec.Cluster, id int) string { return spec.ClusterSegment(cl, id) }

// assignStored assigns f's rows with a stored model (refit: never) and reports it: the version that fitted
// it, its method and k, and for a mixture how well it fits these rows (log-likelihood, BIC). The same in
// process and on an engine (there f is the sample).
func assignStored(m *storedModel, f *algorithms.Frame, rep *methods.ClusterReport) (*algorithms.Matrix, []int, []float64, error) {
	X, labels, prob, prep, err := assignWithModel(m, f)
	rep.Prep = prep
	rep.ModelRun, rep.Method, rep.K = m.Run, m.Model.Method, len(m.IDs)
	if err == nil && m.Model.GMM != nil {
		rep.Fit.Method = m.Model.Method
		rep.Fit.LogLikelihood, rep.Fit.BIC, err = m.Model.GMM.Score(X)
	}
	return X, labels, prob, err
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
