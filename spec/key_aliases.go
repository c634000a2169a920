package spec

// keyAliases are spellings of a key that people reach for because the docs or a report use the word, but
// that the spec spells otherwise: an unknown key listed here suggests the spec's key (when the mapping
// allows it) and says how it is written, where edit distance finds nothing.
var keyAliases = map[string]struct{ key, how string }{
	// The clv report names the calibration period's end (calibration_end, a date); the spec gives the
	// holdout's length instead, so the end moves with the run's as-of date.
	"calibration_end": {"holdout", "The calibration period ends holdout: N units (of unit:) before the as-of date; the report shows that date as calibration_end."},
	"calibration":     {"holdout", "The calibration check is holdout: N, the last N units (of unit:) before the as-of date held out."},
}
