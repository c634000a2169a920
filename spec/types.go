package spec

import "gopkg.in/yaml.v3"

// The spec's types mirror schema/pipeline.schema.json, which is the source of truth for its shape; a test
// checks that every YAML key here is a schema property and the other way round.

// Spec is a loaded pipeline spec, version 1.
type Spec struct {
	Version       int               `yaml:"version"`
	Name          string            `yaml:"name"`
	Description   string            `yaml:"description"`
	Owner         string            `yaml:"owner"`
	Entity        string            `yaml:"entity"`
	Store         string            `yaml:"store"`
	Vars          Map[any]          `yaml:"vars"`
	Sources       Map[Source]       `yaml:"sources"`
	Features      Map[Feature]      `yaml:"features"`
	Segmentations Map[Segmentation] `yaml:"segmentations"`
	Exports       []Export          `yaml:"exports"`
	KPIs          Map[KPI]          `yaml:"kpis"`
	Models        Map[Model]        `yaml:"models"`
	Audiences     Map[Audience]     `yaml:"audiences"`
	PriorityLists Map[[]string]     `yaml:"priority_lists"`
	Destinations  Map[Destination]  `yaml:"destinations"`
	Outcomes      Map[Outcome]      `yaml:"outcomes"`
	// Engine is where features run (engine.go): nil is DuckDB in process.
	Engine *Engine `yaml:"engine"`

	// Doc is the parsed file, for locating diagnostics.
	Doc *Document `yaml:"-"`
	// Dir is the directory relative paths in the spec are resolved against: the spec file's.
	Dir string `yaml:"-"`
	// Broken holds the pointers of steps whose shape is invalid; later checks skip them rather than pile
	// consequential errors on top of the real one.
	Broken map[string]bool `yaml:"-"`
	// sqlFiles holds each sql_file as first read (FeatureSQL), by resolved path.
	sqlFiles map[string]readFile
}

// DefaultStore is the store file used when the spec names none.
const DefaultStore = "segrun.duckdb"

// Source is input data read from files.
type Source struct {
	Description string          `yaml:"description"`
	Path        Strings         `yaml:"path"`
	Format      string          `yaml:"format"`
	Options     Options         `yaml:"options"`
	Columns     Map[ColumnSpec] `yaml:"columns"`
	AllowEmpty  bool            `yaml:"allow_empty"`
	// Table is a table or view ([schema.]name) in the engine's database (engine postgres), read in place
	// instead of files.
	Table string `yaml:"table"`
}

// ColumnSpec is a column a source promises.
type ColumnSpec struct {
	Type        string `yaml:"type"`
	NotNull     bool   `yaml:"not_null"`
	Description string `yaml:"description"`
	// PII is the kind of personal data the column holds (email, phone, name, address, other), or "".
	PII string `yaml:"pii"`
}

// Feature is a derived table defined by one SELECT.
type Feature struct {
	Description string `yaml:"description"`
	SQL         string `yaml:"sql"`
	SQLFile     string `yaml:"sql_file"`
	Tests       []Test `yaml:"tests"`
}

// Segmentation assigns entities to segments by rules, RFM scores, clustering or a registered method
// (RegisterMethodBlock), whose block is kept as written (Block).
type Segmentation struct {
	Description string   `yaml:"description"`
	From        string   `yaml:"from"`
	Rules       []Rule   `yaml:"rules"`
	Else        string   `yaml:"else"`
	Multi       bool     `yaml:"multi"`
	Cluster     *Cluster `yaml:"cluster"`
	RFM         *RFM     `yaml:"rfm"`
	MinSize     *MinSize `yaml:"min_size"`
	// Profile names the input's columns the version's segment profiles describe; nil: every numeric one
	// (up to a cap); empty (profile: []): no profiles.
	Profile []string `yaml:"profile"`
	// Owner and Segments are metadata (segments.go): who answers for the segmentation, and each segment's
	// description, owner and action plan. They never change memberships.
	Owner    string           `yaml:"owner"`
	Segments Map[SegmentMeta] `yaml:"segments"`
	// Audits check each version against the previous one (audit.go).
	Audits []Audit `yaml:"audits"`

	// blocks are the registered method blocks the segmentation has, as written (Block).
	blocks map[string]*yaml.Node
}

// Method names the kind of segmentation: the last method block in the registry that it has ("rules" when
// none; a cluster block wins over rfm, which wins over rules, and a registered block over the built-in
// ones).
func (s *Segmentation) Method() string {
	method := ""
	for _, b := range methodBlockList() {
		if b.present(s) {
			method = b.Name
		}
	}
	return method
}

// Rule assigns a segment when its expression holds.
type Rule struct {
	Segment     string `yaml:"segment"`
	When        string `yaml:"when"`
	Description string `yaml:"description"`
}

// Cluster configures a clustering segmentation.
type Cluster struct {
	Method    string              `yaml:"method"`
	Features  []string            `yaml:"features"`
	Impute    string              `yaml:"impute"`
	Transform Map[TransformSteps] `yaml:"transform"`
	Scale     string              `yaml:"scale"`
	PCA       *PCA                `yaml:"pca"`
	K         K                   `yaml:"k"`
	Seed      uint64              `yaml:"seed"`
	Params    map[string]any      `yaml:"params"`
	Names     map[string]string   `yaml:"names"`
	Refit     string              `yaml:"refit"`
	// Members and Search: consensus clustering and the genetic search (cluster_mixed.go).
	Members []ClusterMember `yaml:"members"`
	Search  *ClusterSearch  `yaml:"search"`
	// SampleRows fits on a seeded sample of that many rows, assigning every row by SQL in the engine
	// (runner/methods/cluster/engine.go); 0: cluster.DefaultSampleRows on engine postgres, every row on
	// duckdb.
	SampleRows int `yaml:"sample_rows"`
}

// PCA keeps principal components by count or by explained variance.
type PCA struct {
	Components int     `yaml:"components"`
	Variance   float64 `yaml:"variance"`
}

// RFM configures RFM scoring.
type RFM struct {
	Recency   string `yaml:"recency"`
	Frequency string `yaml:"frequency"`
	Monetary  string `yaml:"monetary"`
	Bins      int    `yaml:"bins"`
}

// MinSize is the smallest acceptable segment.
type MinSize struct {
	Count    int     `yaml:"count"`
	Share    float64 `yaml:"share"`
	Severity string  `yaml:"severity"`
}

// Export writes a segmentation's memberships or change log to a file after each run.
type Export struct {
	Segmentation string `yaml:"segmentation"`
	Path         string `yaml:"path"`
	Changes      bool   `yaml:"changes"`
	// PII is "clear" to write a personal entity column as it is; otherwise it is hashed.
	PII string `yaml:"pii"`
}

// Audience is the entities a campaign reaches: members of the included segments (any of them), less the
// excluded, where the condition holds and consent is given; Holdout keeps a share of them out as a control
// group. Its versions are stored like a segmentation's, with the segments treatment and control.
type Audience struct {
	Description  string        `yaml:"description"`
	Owner        string        `yaml:"owner"`
	From         string        `yaml:"from"`
	Include      Map[[]string] `yaml:"include"`
	Exclude      Map[[]string] `yaml:"exclude"`
	Where        string        `yaml:"where"`
	Consent      *Consent      `yaml:"consent"`
	Holdout      *Holdout      `yaml:"holdout"`
	PriorityList string        `yaml:"priority_list"`
	Destinations []string      `yaml:"destinations"`
}

// Destination is where an audience is delivered after each published run: a file of its members (full)
// or of the run's entered and exited members (changes), personal columns hashed unless PII is "clear".
type Destination struct {
	Path    string   `yaml:"path"`
	Columns []string `yaml:"columns"`
	Mode    string   `yaml:"mode"`
	PII     string   `yaml:"pii"`
	// Postgres and Webhook are the destinations beside files (one of path, postgres, webhook): a table
	// upserted in one transaction per delivery, and JSON batches posted (docs/destinations.md).
	Postgres *PostgresDestination `yaml:"postgres"`
	Webhook  *WebhookDestination  `yaml:"webhook"`
}

// PostgresDestination is a destination's postgres: block; the DSN comes from the environment variable
// DSNEnv names, never from the spec.
type PostgresDestination struct {
	DSNEnv string `yaml:"dsn_env"`
	Table  string `yaml:"table"`
	Exits  string `yaml:"exits"`
}

// WebhookDestination is a destination's webhook: block; the URL comes from the environment variable
// URLEnv names.
type WebhookDestination struct {
	URLEnv      string `yaml:"url_env"`
	Batch       int    `yaml:"batch"`
	MaxAttempts int    `yaml:"max_attempts"`
	Timeout     string `yaml:"timeout"`
}

// PIIClear is a destination's or export's pii: to write personal columns as they are.
const PIIClear = "clear"

// Consent names the BOOLEAN column saying an entity agreed to be contacted.
type Consent struct {
	From   string `yaml:"from"`
	Column string `yaml:"column"`
}

// Holdout is a control group drawn by a hash of (salt, entity): the same entities for as long as the salt
// and share stay the same, whatever segments they are in and whenever the run happens.
type Holdout struct {
	Share float64 `yaml:"share"`
	Salt  string  `yaml:"salt"`
}

// KPI is one aggregate SQL expression over a table's rows, computed for the members of every segment of
// its segmentations and for their whole population, and stored with each version.
type KPI struct {
	Description   string   `yaml:"description"`
	From          string   `yaml:"from"`
	Value         string   `yaml:"value"`
	Format        string   `yaml:"format"`
	Segmentations []string `yaml:"segmentations"`
}

// Model is a predictive model (runner/kind_model.go): fitted on From's training part, judged on its test
// part, scoring Score (default From) into a table of its own.
type Model struct {
	Description string      `yaml:"description"`
	From        string      `yaml:"from"`
	Label       string      `yaml:"label"`
	Features    []string    `yaml:"features"`
	Method      string      `yaml:"method"`
	Params      ModelParams `yaml:"params"`
	Split       ModelSplit  `yaml:"split"`
	Score       string      `yaml:"score"`
	Refit       string      `yaml:"refit"`
	// LabelWindow, when set, trains point-in-time: From's features recomputed as of as_of minus the
	// window, Label computed from the window (runner/model_pit.go).
	LabelWindow *LabelWindow `yaml:"label_window"`
	// SampleRows fits on a seeded sample of at most that many of the training table's rows (the same rows
	// on every engine); 0: runner.DefaultModelSampleRows on engine postgres, every row on duckdb.
	SampleRows int `yaml:"sample_rows"`
}

// LabelWindow computes a model's label from the Days before the run's as-of date and its training
// features as of the window's start.
type LabelWindow struct {
	From string `yaml:"from"`
	Time string `yaml:"time"`
	Days int    `yaml:"days"`
	SQL  string `yaml:"sql"`
}

// ModelParams are a model method's settings; nil or zero: the method's default.
type ModelParams struct {
	C       float64 `yaml:"C"`
	Alpha   float64 `yaml:"alpha"`
	MaxIter int     `yaml:"max_iter"`
	Tol     float64 `yaml:"tol"`
	// MaxDepth and MinSamplesLeaf bound a tree.
	MaxDepth       int `yaml:"max_depth"`
	MinSamplesLeaf int `yaml:"min_samples_leaf"`
	// LearningRate, MaxLeafNodes, L2 and MaxBins are boosted_trees' (with MaxIter, MaxDepth, MinSamplesLeaf).
	LearningRate float64 `yaml:"learning_rate"`
	MaxLeafNodes int     `yaml:"max_leaf_nodes"`
	L2           float64 `yaml:"l2"`
	MaxBins      int     `yaml:"max_bins"`
}

// ModelSplit holds out a model's test part: a seeded share of entities, or rows after a date.
type ModelSplit struct {
	Test      float64 `yaml:"test"`
	Seed      uint64  `yaml:"seed"`
	By        string  `yaml:"by"`
	TestAfter string  `yaml:"test_after"`
}

// ScoreTable is the table the model scores: Score, or From when none is named.
func (m Model) ScoreTable() string {
	if m.Score != "" {
		return m.Score
	}
	return m.From
}
