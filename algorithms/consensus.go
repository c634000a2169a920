package algorithms

import (
	"errors"
	"fmt"
	"slices"
)

// Consensus clustering ("mixed models") combines several clusterings of the same rows — different
// methods, one method under several seeds, or feature subsets — into one partition. Two rows belong
// together in the consensus when most members put them together: the co-association of rows i and j is
// the share of members that give them the same cluster, and the consensus cuts the average-linkage
// dendrogram of 1 - co-association into k clusters (Fred and Jain 2005, evidence accumulation).
//
// The co-association matrix has n(n-1)/2 entries, so above sample_limit rows (default
// DefaultConsensusSampleLimit) it is built on a seeded sample of the rows; every other row joins the
// consensus cluster whose centroid (the mean of its sampled rows, in the prepared space) is nearest. The
// members themselves are fitted on all rows.

// DefaultConsensusSampleLimit is the number of rows the co-association matrix is built on by default: 2,000
// rows take 16 MB of distances and a fraction of a second to link.
const DefaultConsensusSampleLimit = 2000

// MaxConsensusSampleLimit bounds sample_limit as hierarchical clustering's limit does (900 MB of distances).
const MaxConsensusSampleLimit = MaxHierarchicalSampleLimit

// ConsensusMember is one clustering that votes in a consensus: a method with its k (0: the consensus's),
// seed and params, fitted on the prepared columns Columns (nil: all of them).
type ConsensusMember struct {
	Name    string
	Method  string
	K       int
	Seed    uint64
	Params  map[string]any
	Columns []int
}

// MemberAgreement is how much one member agrees with the consensus: the adjusted Rand index of its
// labels against the consensus's, over all rows.
type MemberAgreement struct {
	Name string  `json:"name"`
	ARI  float64 `json:"ari"`
}

// lowConsensusAgreement is the mean member ARI below which the report warns that the members disagree:
// the consensus is then a compromise no member supports, and the members should be looked at.
const lowConsensusAgreement = 0.5

func readConsensusParams(params map[string]any) (int, error) {
	p, err := newMethodParams("consensus", params, "sample_limit")
	if err != nil {
		return 0, err
	}
	limit, err := p.intParam("sample_limit", DefaultConsensusSampleLimit, 2)
	if err != nil {
		return 0, err
	}
	if limit > MaxConsensusSampleLimit {
		return 0, fmt.Errorf("consensus: param sample_limit must be at most %d (its distances take 4n² bytes), got %d", MaxConsensusSampleLimit, limit)
	}
	return limit, nil
}

// fitConsensus fits every member on X, builds the co-association of their labels on (a seeded sample of)
// the rows, cuts its average-linkage tree into k clusters and assigns the unsampled rows to the nearest
// consensus centroid. The model predicts by nearest centroid.
func fitConsensus(X *Matrix, k int, s ClusterSpec) (*Clustering, error) {
	limit, err := readConsensusParams(s.Params)
	if err != nil {
		return nil, err
	}
	if len(s.Members) < 2 {
		return nil, errors.New("consensus: needs at least two members")
	}
	if k < 1 || k > X.Rows {
		return nil, fmt.Errorf("consensus: k = %d must be between 1 and the %d rows", k, X.Rows)
	}
	memberLabels := make([][]int, len(s.Members))
	for i, m := range s.Members {
		sub := X
		if m.Columns != nil {
			sub = selectColumns(X, m.Columns)
		}
		mk := m.K
		if mk == 0 {
			mk = k
		}
		c, err := Cluster(sub, ClusterSpec{Method: m.Method, K: mk, Seed: m.Seed, Params: m.Params, Workers: s.Workers})
		if err != nil {
			return nil, fmt.Errorf("consensus: member %s: %w", m.Name, err)
		}
		memberLabels[i] = c.Labels
	}
	rows := seededRowSample(X.Rows, limit, s.Seed)
	sampled := make([][]int, len(memberLabels))
	for i, l := range memberLabels {
		sampled[i] = make([]int, len(rows))
		for j, r := range rows {
			sampled[i][j] = l[r]
		}
	}
	sampleLabels, err := ConsensusPartition(sampled, k)
	if err != nil {
		return nil, err
	}
	sampleX := gatherRows(X, rows)
	centroids := clusterMeans(sampleX, sampleLabels, k)
	var labels []int
	var notes []string
	if len(rows) == X.Rows {
		labels = sampleLabels
	} else {
		labels = NearestCentroid(centroids, X)
		for j, r := range rows { // sampled rows keep the consensus's own label
			labels[r] = sampleLabels[j]
		}
		notes = append(notes, fmt.Sprintf("consensus: co-association built on a seeded sample of %d of %d rows; the others joined the nearest consensus centroid", len(rows), X.Rows))
	}
	agree := make([]MemberAgreement, len(s.Members))
	mean := 0.0
	for i, m := range s.Members {
		agree[i] = MemberAgreement{Name: m.Name, ARI: AdjustedRandIndex(memberLabels[i], labels)}
		mean += agree[i].ARI
	}
	mean /= float64(len(agree))
	if mean < lowConsensusAgreement {
		notes = append(notes, fmt.Sprintf("consensus: the members agree little with the consensus (mean adjusted Rand index %.3f); it is a compromise none of them supports, so look at the members", mean))
	}
	return &Clustering{
		Labels:    labels,
		K:         k,
		Centroids: centroids,
		Model:     &Model{Method: "consensus", Centroids: centroids},
		Report: ClusterReport{
			Method:    "consensus",
			Inertia:   Inertia(X, labels, centroids),
			Converged: true,
			Notes:     notes,
			Members:   agree,
		},
	}, nil
}

// ConsensusPartition cuts the co-association of the labelings (one labeling per member, each a label per
// row; Noise never co-clusters) into k clusters: average linkage on the condensed distance
// 1 - co-association, computed as (members - agreeing)/members exactly as scipy would be given it, the
// tree cut by undoing its last k-1 merges (scipy's cut_tree), labels numbered as scikit-learn numbers a
// hierarchical cut. Ties (co-associations are multiples of 1/members) resolve as SciPy resolves them.
func ConsensusPartition(labelings [][]int, k int) ([]int, error) {
	if len(labelings) == 0 {
		return nil, errors.New("consensus: no member labelings")
	}
	n := len(labelings[0])
	for _, l := range labelings {
		if len(l) != n {
			return nil, errors.New("consensus: member labelings differ in length")
		}
	}
	if n == 0 {
		return nil, ErrEmptyInput
	}
	if k < 1 || k > n {
		return nil, fmt.Errorf("consensus: k = %d must be between 1 and the %d rows", k, n)
	}
	if n == 1 {
		return []int{0}, nil
	}
	m := float64(len(labelings))
	dist := make([]float64, n*(n-1)/2)
	pos := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			agree := 0
			for _, l := range labelings {
				if l[i] == l[j] && l[i] != Noise {
					agree++
				}
			}
			dist[pos] = (m - float64(agree)) / m
			pos++
		}
	}
	return cutTree(linkageTreeFromDistances(dist, n, "average"), n, k), nil
}

// selectColumns copies the given columns of X, in the order given.
func selectColumns(X *Matrix, cols []int) *Matrix {
	out := NewMatrix(X.Rows, len(cols))
	for i := 0; i < X.Rows; i++ {
		src, dst := X.Row(i), out.Row(i)
		for j, c := range cols {
			dst[j] = src[c]
		}
	}
	return out
}

// consensusMemberMethods are the methods a consensus member may use: those that take k (dbscan's noise and
// own k have no place in a k-cluster vote) other than consensus itself.
func consensusMemberMethods() []string {
	var out []string
	for _, name := range Methods() {
		if f := fitters[name]; !f.FindsOwnK && name != "consensus" {
			out = append(out, name)
		}
	}
	return out
}

// ConsensusMemberMethods lists the methods a consensus member may use, sorted.
func ConsensusMemberMethods() []string { return slices.Clone(consensusMemberMethods()) }
