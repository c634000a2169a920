package cluster

import (
	"slices"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
)

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
	frame := in.frame
	if cl.Search != nil { // the search's best candidate is then fitted on every row like any clustering
		best, sr, err := searchCluster(j, in.frame)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		rep.Search = sr
		cl, frame = best, algorithms.Subframe(in.frame, best.Features)
		// The version is the best candidate's model: its method, not the spec block's starting one, is
		// what the summary, show and the store name (a GMM was published as cluster:kmeans).
		seg := j.seg
		seg.Cluster = best
		j.report.Method, j.version.Method = (method{}).Label(seg), (method{}).Label(seg)
	}
	prep, X, prepRep, err := algorithms.FitPrep(frame, prepSpec(cl))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	rep.Prep = prepRep
	cs := algorithms.ClusterSpec{Method: cl.Method, K: cl.K.Value, Seed: cl.Seed, Params: cl.Params, Workers: j.env.Threads()}
	if len(cl.Members) > 0 {
		cs.Members = consensusMembers(cl, prepRep.Features)
	}
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
	model := &storedModel{Prep: prep, Model: c.Model, IDs: m.IDs, Segments: map[int]string{}, Run: 0, Spec: modelSpec(j.seg.Cluster)}
	model.NextID = prevModel.previousClusters().NextID
	for _, id := range append(slices.Clip(m.IDs), m.Vanished...) {
		model.NextID = max(model.NextID, id+1)
	}
	for _, id := range m.IDs {
		model.Segments[id] = clusterName(cl, id)
	}
	return model, X, labels, c.Probability, nil
}
