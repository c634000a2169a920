// Package store is segrun's versioned store: a DuckDB file, attached to a run's workspace (package sql),
// holding every published version of a pipeline's segmentations as membership intervals, with each run's
// record, each version's summary and model, segment sizes, transitions and the exports written.
//
// schema.go is the store's shape (tables, views, macro); migrate*.go bring an older store to it, one file
// a step; diff.go, publish.go, retire.go and undo.go change it; runs.go, reads.go and exports.go read it;
// payloads.go are the typed records kept as JSON. The same store lives in a PostgreSQL schema (postgres.go):
// dialect.go is the little that differs.
package store
