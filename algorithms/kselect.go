package algorithms

import (
	"fmt"
	"math"
)

// KRange asks ChooseK to fit every k from Min to Max and keep the best by one criterion.
type KRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
	// By is the criterion: silhouette (the default; highest wins), calinski_harabasz (highest wins),
	// davies_bouldin (lowest wins) or bic (lowest wins; gmm only).
	By string `json:"by"`
}

// KScore is one k's score under the KRange criterion.
type KScore struct {
	K     int     `json:"k"`
	Score float64 `json:"score"`
}

// kCriteria are the KRange.By values.
var kCriteria = []string{"silhouette", "calinski_harabasz", "davies_bouldin", "bic"}

// ChooseK fits s.Method (through Cluster, with s.K set to each k in turn) for every k in r and returns the
// best fit with every k's score, in increasing k.
//
// Silhouette is exact up to opt.SampleLimit rows (default DefaultEvalSampleLimit) and above that computed
// on one seeded sample of rows, the same for every k so that the scores are comparable; Calinski-Harabasz
// and Davies-Bouldin are cheap and always exact; bic is the fit's own Report.BIC. The smallest k wins ties.
// A k whose fit yields a degenerate partition (fewer than two non-empty clusters) scores 0 and is chosen
// only if every k is degenerate.
//
// Errors: dbscan (it finds its own number of clusters), an unknown criterion, bic for a method other than
// gmm, Min below 2 (1 for bic), Max below Min or above the rows, and any fit's error.
func ChooseK(X *Matrix, r KRange, s ClusterSpec, opt EvalOptions) (*Clustering, []KScore, error) {
	if X == nil || X.Rows == 0 {
		return nil, nil, ErrEmptyInput
	}
	by := r.By
	if by == "" {
		by = "silhouette"
	}
	if err := chooseName("k selection criterion", by, kCriteria); err != nil {
		return nil, nil, fmt.Errorf("choosing k: %w", err)
	}
	f, err := FitterFor(s.Method)
	if err != nil {
		return nil, nil, fmt.Errorf("choosing k: %w", err)
	}
	if f.FindsOwnK {
		return nil, nil, fmt.Errorf("choosing k: %s finds its own number of clusters; tune its params "+
			"instead of giving a k range", s.Method)
	}
	if by == "bic" && !f.Likelihood {
		return nil, nil, fmt.Errorf("choosing k: bic needs a likelihood, which only gmm has; %s can choose by "+
			"silhouette, calinski_harabasz or davies_bouldin", s.Method)
	}
	lowest := 2
	if by == "bic" {
		lowest = 1
	}
	switch {
	case r.Min < lowest:
		return nil, nil, fmt.Errorf("choosing k: min k is %d, but %s needs at least %d clusters", r.Min, by, lowest)
	case r.Max < r.Min:
		return nil, nil, fmt.Errorf("choosing k: max k %d is below min k %d", r.Max, r.Min)
	case r.Max > X.Rows:
		return nil, nil, fmt.Errorf("choosing k: max k %d exceeds the %d rows", r.Max, X.Rows)
	}

	// One silhouette sample for all k.
	limit := opt.SampleLimit
	if limit == 0 {
		limit = DefaultEvalSampleLimit
	}
	var sampleRows []int
	sampleX := X
	if by == "silhouette" && limit > 0 && X.Rows > limit {
		sampleRows = seededRowSample(X.Rows, limit, opt.Seed)
		sampleX = gatherRows(X, sampleRows)
	}

	var best *Clustering
	bestScore, bestValid := 0.0, false
	scores := make([]KScore, 0, r.Max-r.Min+1)
	for k := r.Min; k <= r.Max; k++ {
		spec := s
		spec.K = k
		fit, err := Cluster(X, spec)
		if err != nil {
			return nil, scores, fmt.Errorf("choosing k: k=%d: %w", k, err)
		}
		score, valid := scoreForK(X, sampleX, sampleRows, fit, by, opt.Workers)
		scores = append(scores, KScore{K: k, Score: score})
		better := best == nil || (valid && !bestValid)
		if valid == bestValid && best != nil {
			switch by {
			case "silhouette", "calinski_harabasz":
				better = score > bestScore
			default:
				better = score < bestScore
			}
		}
		if better {
			best, bestScore, bestValid = fit, score, valid
		}
	}
	return best, scores, nil
}

// scoreForK scores one fit under criterion by; valid is false when the partition is degenerate.
func scoreForK(X, sampleX *Matrix, sampleRows []int, fit *Clustering, by string, workers int) (float64, bool) {
	if by == "bic" {
		if math.IsNaN(fit.Report.BIC) || math.IsInf(fit.Report.BIC, 0) {
			return 0, false
		}
		return fit.Report.BIC, true
	}
	codes := encodeLabels(fit.Labels)
	if degenerateReason(codes) != "" {
		return 0, false
	}
	switch by {
	case "calinski_harabasz":
		return codedCalinskiHarabasz(X, codes, codedMeans(X, codes)), true
	case "davies_bouldin":
		return codedDaviesBouldin(X, codes, codedMeans(X, codes)), true
	}
	if sampleRows != nil {
		labels := make([]int, len(sampleRows))
		for i, r := range sampleRows {
			labels[i] = fit.Labels[r]
		}
		codes = encodeLabels(labels)
		if degenerateReason(codes) != "" {
			return 0, false
		}
	}
	return meanSilhouette(sampleX, codes, workers), true
}
