package algorithms

import (
	"fmt"
	"math"
	"sort"
)

// evaluate fits and scores one candidate. It reads only the searcher's fixed inputs, so candidates can be
// evaluated in parallel.
func (sr *searcher) evaluate(c Candidate) ScoredCandidate {
	out := ScoredCandidate{Candidate: c}
	fail := func(reason string) ScoredCandidate {
		out.Feasible, out.Reason, out.Objective, out.Failed = false, reason, 0, true
		return out
	}
	_, X, prep, err := FitPrep(Subframe(sr.frame, c.Features), sr.s.PrepFor(c))
	if err != nil {
		return fail(err.Error())
	}
	spec := ClusterSpec{Method: c.Method, K: c.K, Seed: sr.s.Seed, Params: sr.s.Params[c.Method], Workers: 1}
	fit, err := Cluster(X, spec)
	if err != nil {
		return fail(err.Error())
	}
	codes := encodeLabels(fit.Labels)
	if reason := degenerateReason(codes); reason != "" {
		return fail(reason)
	}
	smallest := X.Rows
	counts := map[int]int{}
	for _, l := range fit.Labels {
		counts[l]++
	}
	for _, n := range counts {
		smallest = min(smallest, n)
	}
	if len(counts) < c.K {
		smallest = 0 // an empty cluster
	}
	out.SmallestShare = float64(smallest) / float64(X.Rows)
	switch {
	case sr.s.Scorer != nil:
		labels := make([]int, sr.frame.Len())
		for i := range labels {
			labels[i] = NoSegment
		}
		for i, l := range fit.Labels {
			r := i
			if prep.Kept != nil {
				r = prep.Kept[i]
			}
			labels[r] = l
		}
		v, err := sr.s.Scorer.Score(labels)
		if err != nil {
			return fail(err.Error())
		}
		out.Objective = v
	case sr.s.Objective == "davies_bouldin":
		out.Objective = codedDaviesBouldin(X, codes, codedMeans(X, codes))
	case sr.s.Objective == "calinski_harabasz":
		out.Objective = codedCalinskiHarabasz(X, codes, codedMeans(X, codes))
	default:
		evalSet := sr.evalSet
		if X.Rows != sr.frame.Len() { // impute: drop left fewer rows
			evalSet = seededRowSample(X.Rows, sr.s.EvalSampleLimit, sr.s.Seed+1)
		}
		sub := gatherRows(X, evalSet)
		labels := make([]int, len(evalSet))
		for i, r := range evalSet {
			labels[i] = fit.Labels[r]
		}
		sc := encodeLabels(labels)
		if reason := degenerateReason(sc); reason != "" {
			return fail("silhouette sample: " + reason)
		}
		out.Objective = meanSilhouette(sub, sc, 1)
	}
	if math.IsNaN(out.Objective) || math.IsInf(out.Objective, 0) {
		return fail("objective is not finite")
	}
	out.Feasible = true
	if out.SmallestShare < sr.s.MinShare {
		out.Feasible, out.Reason = false, fmt.Sprintf("smallest cluster holds %.3f of the rows, below min_share %.3f", out.SmallestShare, sr.s.MinShare)
	}
	if sr.s.MinStability > 0 {
		stab, err := bootstrapStability(X, fit, spec)
		if err != nil {
			return fail("stability: " + err.Error())
		}
		out.Stability = &stab
		if out.Feasible && stab < sr.s.MinStability {
			out.Feasible, out.Reason = false, fmt.Sprintf("bootstrap stability %.3f below min_stability %.3f", stab, sr.s.MinStability)
		}
	}
	return out
}

// bootstrapStability refits the candidate on a bootstrap resample of X's rows (seeded by the spec's seed)
// and returns the adjusted Rand index between the fit's labels and the resample model's assignment of
// the same rows.
func bootstrapStability(X *Matrix, fit *Clustering, spec ClusterSpec) (float64, error) {
	rng := newSeededRand(spec.Seed ^ 0xb0075)
	rows := make([]int, X.Rows)
	for i := range rows {
		rows[i] = rng.IntN(X.Rows)
	}
	sort.Ints(rows)
	boot, err := Cluster(gatherRows(X, rows), spec)
	if err != nil {
		return 0, err
	}
	pred, _, err := boot.Model.Predict(X)
	if err != nil {
		return 0, err
	}
	return AdjustedRandIndex(fit.Labels, pred), nil
}
