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
	// DefinitionHash identifies what decided the memberships (runner.DefinitionHash): segrun docs lists
	// the versions where it changed. Absent from versions written before it existed.
	DefinitionHash string `json:"definition_hash,omitempty"`
	// Rules reports each rule's matches and the rows it skipped for a NULL.
	Rules []rules.Report `json:"rules,omitempty"`
	// RuleEvaluations is rows x rules evaluated, and RuleSeconds the time it took.
	RuleEvaluations int64   `json:"rule_evaluations,omitempty"`
	RuleSeconds     float64 `json:"rule_seconds,omitempty"`
	// Cluster reports a clustering's fit, validity and stability.
	Cluster *ClusterReport `json:"cluster,omitempty"`
	// CLV reports a clv segmentation's fitted models, tiers and holdout check (clv_report.go).
	CLV   *CLVReport `json:"clv,omitempty"`
	Notes []string   `json:"notes,omitempty"`
	// Profiles describe each segment in the input's columns against the whole input.
	Profiles *Profiles `json:"profiles,omitempty"`
	// Audits are the segmentation's audits' outcomes in this version; AuditBins the drift-audited columns'
	// bins, which the next version's drift audits compare with (audit.go).
	Audits    []AuditResult `json:"audits,omitempty"`
	AuditBins []DriftBins   `json:"audit_bins,omitempty"`
	// Audience reports an audience's funnel, priority losses and holdout (audiences are versioned as
	// segmentations are).
	Audience *AudienceReport `json:"audience,omitempty"`
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

// Profiles describe a version's segments in the input's own columns, against the whole input (the
// population): computed by the runner after any method wrote its result, stored with the version.
type Profiles struct {
	// Numbers and Texts name the profiled columns, in the input's order: numbers are summarised by their
	// distribution, the others by their most frequent values.
	Numbers []string `json:"numbers,omitempty"`
	Texts   []string `json:"texts,omitempty"`
	// Unprofiled counts the numeric columns left out when profile: is omitted and the input has more
	// than the default's cap (runner.profileDefaultColumns); profile: names the columns to profile.
	Unprofiled int              `json:"unprofiled_columns,omitempty"`
	Population SegmentProfile   `json:"population"`
	Segments   []SegmentProfile `json:"segments"`
}

// SegmentProfile is one segment's (or the population's) size, share of the input and columns. A
// multi segmentation's segment is profiled over its members, so shares may add up to more than 1.
type SegmentProfile struct {
	Segment string                   `json:"segment,omitempty"`
	Size    int64                    `json:"size"`
	Share   float64                  `json:"share"`
	Numbers map[string]NumberProfile `json:"numbers,omitempty"`
	Texts   map[string][]TextValue   `json:"texts,omitempty"`
}

// NumberProfile summarises a numeric column's non-NULL values in a segment. A statement with no value
// (all NULL; an SD of one value) is absent, as is a lift against a population mean of 0.
type NumberProfile struct {
	Mean   *float64 `json:"mean,omitempty"`
	Median *float64 `json:"median,omitempty"`
	P10    *float64 `json:"p10,omitempty"`
	P90    *float64 `json:"p90,omitempty"`
	SD     *float64 `json:"sd,omitempty"`
	// Lift is the segment's mean over the population's.
	Lift *float64 `json:"lift,omitempty"`
}

// TextValue is one of a column's most frequent non-NULL values in a segment: its share of the segment's
// members and its lift, that share over its share of the population.
type TextValue struct {
	Value string  `json:"value"`
	Share float64 `json:"share"`
	Lift  float64 `json:"lift"`
}

// AudienceReport is what a run tells about an audience (its version's summary keeps it): how many
// entities each condition removed, in the order they apply, how many a higher audience of its priority
// list took, and its holdout.
type AudienceReport struct {
	// Candidates are the entities in an included segment; Excluded, of them, in an excluded one; NotWhere,
	// of the rest, those where: does not hold for (or that its from lacks); NoConsent, of the rest, those
	// without consent. Qualified are left.
	Candidates int64 `json:"candidates"`
	Excluded   int64 `json:"excluded"`
	NotWhere   int64 `json:"not_where"`
	NoConsent  int64 `json:"no_consent"`
	Qualified  int64 `json:"qualified"`
	// PriorityList is the list the audience is in; LostTo, per audience above it there, the qualified
	// entities that audience took (LostToHigher in all).
	PriorityList string         `json:"priority_list,omitempty"`
	LostTo       []AudienceLoss `json:"lost_to,omitempty"`
	LostToHigher int64          `json:"lost_to_higher"`
	// Members are the entities in the audience: Treatment and Control.
	Members   int64          `json:"members"`
	Treatment int64          `json:"treatment"`
	Control   int64          `json:"control"`
	Holdout   *HoldoutReport `json:"holdout,omitempty"`
}

// AudienceLoss is how many of an audience's qualified entities a higher audience took.
type AudienceLoss struct {
	Audience string `json:"audience"`
	Entities int64  `json:"entities"`
}

// HoldoutReport is an audience's holdout as declared and as realised, with the sample-ratio-mismatch test
// (a chi-square goodness-of-fit test of the control and treatment counts against the declared share).
type HoldoutReport struct {
	Share    float64 `json:"share"`
	Salt     string  `json:"salt"`
	Realised float64 `json:"realised_share"`
	// ChiSquare and PValue are the test's statistic (1 degree of freedom) and p-value; Mismatch says
	// PValue < algorithms.SRMAlpha.
	ChiSquare float64 `json:"chi_square"`
	PValue    float64 `json:"p_value"`
	Mismatch  bool    `json:"mismatch"`
}
