// Package sql is segrun's DuckDB layer: opening databases, reading sources, analysing and describing SQL,
// moving bulk data as Arrow record batches. The versioned store, built on it, is package sql/store.
//
// Building it needs the build tag duckdb_arrow (the Makefile sets it), because bulk data crosses between
// DuckDB and Go only as Arrow batches: row-by-row database/sql scans are 25x slower for the column sizes
// segrun moves.
package sql
