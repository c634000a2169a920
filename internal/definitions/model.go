// Package definitions builds a pipeline's definition document, the one place every team reads what each
// segment is: its definition (rule text, RFM cell, a cluster's explaining rules and centroid), who owns
// it, what to do with its members, how large it is and how it trends, and when its definition changed.
// The model (Document) is built from a validated spec and, when there is one, its store; markdown.go and
// html.go render it. `segrun docs` writes it; the report embeds its HTML fragment (HTMLFragment).
package definitions

import "time"

// Document is the definition document of one pipeline.
type Document struct {
	Pipeline    string
	Description string
	Owner       string
	// Spec is the spec file the definitions come from ("" when documented from a store alone, which
	// SpecNote then says).
	Spec     string
	SpecNote string
	// Store is where sizes and history come from; StoreNote says why there are none when Store is nil.
	Store     *StoreInfo
	StoreNote string
	// Vars are the spec's vars with their defaults, which rules and SQL read.
	Vars          []Var
	Segmentations []Segmentation
}

// StoreInfo is the store the document read and its latest version.
type StoreInfo struct {
	Path       string
	LatestRun  int64
	LatestAsOf time.Time
	// Versions is the number of published versions.
	Versions int
}

// Var is one of the spec's vars and its default.
type Var struct{ Name, Value string }

// Segmentation is one segmentation's part of the document.
type Segmentation struct {
	Name, Description, Owner string
	// Method is how it assigns (rules, rules (multi), rfm, cluster:kmeans...); From its input.
	Method, From string
	// Basis says in a sentence how segments are assigned (first matching rule wins, the RFM grid...).
	Basis string
	// Details are lines about the method as a whole (RFM's measures, a clustering's features and fit).
	Details  []string
	Segments []Segment
	// Versions are the versions sizes are shown for, oldest first (at most TrendVersions); each
	// Segment's Trend has one entry per version.
	Versions []VersionRef
	// History is the definition's changes across the versions; HistoryNote qualifies it (versions from
	// before the definition hash, compared by spec hash).
	History     []DefinitionChange
	HistoryNote string
	// Pending says the spec's definition differs from the latest version's: the next run changes it.
	Pending string
	// DefinitionHash is the spec's current definition hash ("" without a spec).
	DefinitionHash string
	// KPIs are the segmentation's KPIs per segment and for the population in the latest versions
	// (kpis.go), rendered by markdownKPIs and the fragment's kpis template.
	KPIs []KPI
	// KPIsElsewhere is where the KPIs are shown instead, when the document is embedded in a page that
	// shows them already (segrun report's segmentation section, its anchor): the fragment links there.
	KPIsElsewhere string
}

// VersionRef names a version.
type VersionRef struct {
	Run  int64
	AsOf time.Time
}

// Segment is one segment's part of the document.
type Segment struct {
	Name, Description, Owner string
	Action                   *Action
	// Definition is how the segment is assigned, one line each: a rule as written, with the vars'
	// values, an RFM cell's score ranges, a cluster's explaining-tree rules.
	Definition []Line
	// Profile is a cluster's centroid (its members' means) in the input's own units, from the latest
	// version, in feature order.
	Profile []Measure
	// Traits are the segment's profile in the latest version (when it stored one): each profiled
	// column's mean, or most frequent value, with its lift against everyone.
	Traits []Trait
	// Sized says Size and Share are known (the segment is in the latest version).
	Sized bool
	Size  int64
	Share float64
	// Trend holds the segment's size in each of Segmentation.Versions; nil where it had no members.
	Trend []*int64
}

// Line is a line of a definition: a label, and an expression (rule text) when it has one.
type Line struct{ Label, Code string }

// Action is a segment's action plan.
type Action struct{ Message, Channel, Offer string }

// Trait is one profiled column of a segment: "mean 123.4, 1.80x everyone's", "GB 60.0%, 1.20x".
type Trait struct{ Column, Text string }

// Measure is a named number.
type Measure struct {
	Name  string
	Value float64
}

// DefinitionChange is a version where a segmentation's definition was first published or changed.
type DefinitionChange struct {
	Run  int64
	AsOf time.Time
	// Hash is the definition hash (or, for versions without one, the run's spec hash: Basis says which).
	Hash  string
	Basis string
	// First marks the segmentation's first version.
	First bool
}

// TrendVersions is how many of the latest versions the sizes' trend covers.
const TrendVersions = 6
