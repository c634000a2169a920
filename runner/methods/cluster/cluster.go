// Package cluster is the cluster segmentation method: the shared pipeline of every clustering algorithm
// (algorithms' registry of fitters picks the algorithm by the block's method:): preprocessing, fitting or
// choosing k, matching cluster ids with the previous version, validity, profiles and the explaining tree,
// refit: never with the stored model, and staging the change log.
package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
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
	if at := env.Pointer() + "/cluster/sample_rows"; seg.Cluster.SampleRows > 0 && env.Exists(at) && !env.IsBroken(at) {
		// A sampled fit assigns every row in SQL (engine.go), which a method without an SQL form cannot.
		if PushdownError(seg.Cluster.Method, "duckdb") != nil {
			env.ErrorAt(at, "cluster.sample_rows", fmt.Sprintf("sample_rows fits on a sample and assigns every row with the fitted model as SQL, which cluster method %s has no form for; drop sample_rows to fit every row, or use kmeans, gmm or hierarchical", seg.Cluster.Method), "")
		}
	}
	out := []sql.Column{{Name: "cluster", Type: "INTEGER"}}
	if f, err := algorithms.FitterFor(seg.Cluster.Method); err == nil && f.Likelihood {
		out = append(out, sql.Column{Name: "probability", Type: "DOUBLE"})
	}
	return out
}

// job is one clustering being computed: the method's environment, and what the pipeline's steps read of
// it often.
type job struct {
	env     methods.Env
	name    string
	entity  string
	seg     spec.Segmentation
	report  *methods.Report
	version *store.Version
	// arrow is the workspace's connection while the job runs (a search's KPI objective queries it).
	arrow *sql.Arrow
}

func (method) Run(ctx context.Context, env methods.Env) error {
	j := &job{env: env, name: env.Name(), entity: env.Entity(), seg: env.Segmentation(), report: env.Report(), version: env.Version()}
	cl := j.seg.Cluster
	prevModel, prevAssigned, err := previousModel(ctx, env)
	if err != nil {
		return err
	}
	return j.env.WithArrow(ctx, func(a *sql.Arrow) error {
		j.arrow = a
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
			X, labels, prob, err = assignStored(model, in.frame, rep)
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
		model.Projection = algorithms.ProjectSample(X, labels, projectionSample, cl.Seed)
		timed("projection sample")
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
