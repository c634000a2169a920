// Package endtoend pins segrun's behaviour end to end: each case under testdata/endtoend/ at the
// repository root is a spec, its data and a list of command lines, run in-process through cli.Run in a
// temporary copy of the case; the commands' outputs, the files they wrote and a canonical dump of the
// store are compared with golden files. The tests are in endtoend_test.go; run them with
//
//	go test -tags duckdb_arrow ./internal/endtoend
//
// and rewrite the goldens after an intended change with -update, then read the diff.
package endtoend
