package store

import (
	"encoding/json"
	"fmt"

	"github.com/segrun/segrun/sql"
)

// The payloads: what the store keeps as JSON beside its tables. A run records its vars, its sources'
// fingerprints and its steps' timings (the runs table's vars, sources and steps columns); a segmentation
// version its summary and its model (segmentation_versions' summary and model). The JSON is the store's
// format: old stores are read as they were written, so a field's name and place never change.

// Vars are a run's variables, name to value, each value as JSON (a boolean, number, date or text, as the
// spec typed it).
type Vars map[string]json.RawMessage

// SourceFingerprint identifies what a run read for one source: its rows and every file by content, so two
// runs can be told to have read the same data.
type SourceFingerprint struct {
	Source string            `json:"source"`
	Rows   int64             `json:"rows"`
	Files  []FileFingerprint `json:"files"`
}

// FileFingerprint identifies one input file by content: as the source read computed it (sql.SourceRead).
type FileFingerprint = sql.FileFingerprint

// StepTiming is one step of a run: its rows and time.
type StepTiming struct {
	Step    string  `json:"step"`
	Kind    string  `json:"kind"`
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	// ReadBy names the feature that read a streamed source straight from its files.
	ReadBy string `json:"read_by,omitempty"`
}

// Document is a value the store keeps as JSON for the code that wrote it to read back, byte for byte: the
// store never looks inside. Encode and Decode give it its type at both ends. The zero Document is JSON
// null.
type Document struct{ raw json.RawMessage }

// Encode encodes v as a Document. A value that cannot be encoded (a NaN in a metric, say) is an error,
// before anything is written.
func Encode[T any](v T) (Document, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Document{}, fmt.Errorf("encoding %T for the store: %w", v, err)
	}
	return Document{raw: b}, nil
}

// Decode decodes d into a T; ok is false when d is null (nothing was stored).
func Decode[T any](d Document) (v T, ok bool, err error) {
	if d.IsNull() {
		return v, false, nil
	}
	if err := json.Unmarshal(d.raw, &v); err != nil {
		return v, false, err
	}
	return v, true, nil
}

// IsNull says whether d holds nothing.
func (d Document) IsNull() bool { return len(d.raw) == 0 || string(d.raw) == "null" }

// JSON is d's text, "null" when empty.
func (d Document) JSON() json.RawMessage {
	if len(d.raw) == 0 {
		return json.RawMessage("null")
	}
	return d.raw
}

// Summary is what a segmentation version says about itself: its segmentation's report as the run wrote it
// (its rules' matches, a clustering's fit and profiles, notes such as min_size warnings), shown again by
// segrun show.
type Summary struct{ Document }

// Model is what a version of a clustering keeps for later runs: its preprocessing, fitted model and stable
// cluster ids, so that refit: never assigns rows as this fit did and a later fit is matched to it. Null for
// the other methods.
type Model struct{ Document }
