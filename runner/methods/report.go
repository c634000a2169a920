package methods

import (
	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/sql/store"
)

// Report is what a run tells about one segmentation (runner.SegmentationReport). It is stored with the
// version as its summary, so its JSON stays as it is.
type Report struct {
	Name   string      `json:"name"`
	Method string      `json:"method"`
	Diff   *store.Diff `json:"diff,omitempty"`
	// Rules reports each rule's matches and the rows it skipped for a NULL.
	Rules []rules.Report `json:"rules,omitempty"`
	// RuleEvaluations is rows x rules evaluated, and RuleSeconds the time it took.
	RuleEvaluations int64   `json:"rule_evaluations,omitempty"`
	RuleSeconds     float64 `json:"rule_seconds,omitempty"`
	// Cluster reports a clustering's fit, validity and stability.
	Cluster *ClusterReport `json:"cluster,omitempty"`
	Notes   []string       `json:"notes,omitempty"`
	// ChangeLogStaged says the method staged its change log itself rather than leaving it to the store's
	// diff. Not serialised: it says which path ran, for tests and debugging, without reading the log.
	ChangeLogStaged bool `json:"-"`
}

// ClusterReport is a clustering's fit, validity and stability, shown in the run summary and stored with
// the version. It is here, not in runner/methods/cluster, because Report holds it.
type ClusterReport struct {
	// Method is the method that ran (kmeans may switch to minibatch_kmeans on large inputs).
	Method string `json:"method"`
	K      int    `json:"k"`
	// Fitted says whether this run fitted the model, or assigned rows with the stored model of version
	// ModelRun (refit: never).
	Fitted   bool                     `json:"fitted"`
	ModelRun int64                    `json:"model_run,omitempty"`
	KBy      string                   `json:"k_by,omitempty"`
	KScores  []algorithms.KScore      `json:"k_scores,omitempty"`
	Fit      algorithms.ClusterReport `json:"fit"`
	Validity algorithms.Validity      `json:"validity"`
	// Stability is the adjusted Rand index between this version's and the previous version's clusters,
	// over the entities in both (1: the same partition); nil for the first version.
	Stability *float64 `json:"stability_ari,omitempty"`
	// New and Vanished are cluster ids that appeared or disappeared against the previous version.
	New      []int                  `json:"new_clusters,omitempty"`
	Vanished []int                  `json:"vanished_clusters,omitempty"`
	Prep     *algorithms.PrepReport `json:"preprocessing"`
	Profiles []ClusterProfile       `json:"profiles"`
	// Fidelity is the share of rows whose cluster the explaining tree's rules predict.
	Fidelity float64 `json:"explanation_fidelity"`
}

// ClusterProfile describes one cluster in the input's own units.
type ClusterProfile struct {
	Segment     string             `json:"segment"`
	ID          int                `json:"id"`
	Size        int                `json:"size"`
	Description string             `json:"description"`
	Means       map[string]float64 `json:"means"`
	SDs         map[string]float64 `json:"sds"`
	// Rules are the explaining tree's paths to this cluster, with support and precision.
	Rules []algorithms.LeafRule `json:"rules,omitempty"`
}
