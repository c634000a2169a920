// Package postgres is segrun's PostgreSQL engine: sql.Workspace on a PostgreSQL server through pgx, with
// each run's tables in a schema of their own (segrun_run_<id>, UNLOGGED tables, dropped at the end), the
// run's vars in the one-row table segrun_vars of that schema, bulk reads as binary COPY decoded into Arrow
// record batches (PullArrow), and SQL analysed offline by PostgreSQL's own parser (Analyze, through
// pg_query_go). docs/engines.md, "The PostgreSQL engine", says what each method does here.
//
// It never imports duckdb-go (package sql stays the only package that does, TestOnlySQLImportsDuckDB): it
// uses package sql's engine-neutral types (Column, Analysis, Error, PlanNode).
package postgres
