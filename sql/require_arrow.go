//go:build !duckdb_arrow

package sql

// segrun moves bulk data between DuckDB and Go as Arrow batches, which duckdb-go only compiles with the build
// tag duckdb_arrow. Build with `make build`, or `go build -tags duckdb_arrow ./...`.
var _ = build_segrun_with_tag_duckdb_arrow
