package runner

import (
	"context"
	"testing"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// BenchmarkDriftShares counts a second version's shares on the flagship's kind of input: 1M customers,
// recency, frequency and monetary, five segments (one customer in twelve in none), each column binned on
// this version's deciles and the previous version's (six binnings). It reports the process's CPU seconds
// per operation, DuckDB's threads included (cpu-s/op), the measure on a shared machine:
//
//	go test -tags duckdb_arrow -run '^$' -bench DriftShares -benchtime 5x ./runner/
func BenchmarkDriftShares(b *testing.B) {
	ctx := context.Background()
	db, binnings := driftBenchData(b)
	defer db.Close()
	q := driftQuery{input: "input", result: "result", entity: "customer_id", integerEntity: true}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if _, err := driftShares(ctx, db, q, binnings); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((processCPU()-cpu)/float64(b.N), "cpu-s/op")
}

// BenchmarkDriftBins computes the three columns' deciles of the same input (cpu-s/op as above).
func BenchmarkDriftBins(b *testing.B) {
	ctx := context.Background()
	db, _ := driftBenchData(b)
	defer db.Close()
	q := driftQuery{input: "input", result: "result", entity: "customer_id", integerEntity: true}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if _, err := newDriftBins(ctx, db, q, []string{"recency_days", "frequency", "monetary"}, []string{"number", "number", "number"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((processCPU()-cpu)/float64(b.N), "cpu-s/op")
}

// driftBenchData is the benchmarks' input and result, and six binnings of the input's three columns.
func driftBenchData(b *testing.B) (*sql.DB, []*methods.DriftBins) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE input AS SELECT i AS customer_id, (hash(i) % 1000)::INTEGER AS recency_days,
			(1 + hash(i * 3) % 20)::BIGINT AS frequency, ((hash(i * 7) % 500000) / 100.0)::DOUBLE AS monetary
			FROM range(1000000) t(i)`,
		`CREATE TYPE segs AS ENUM ('a', 'b', 'c', 'd', 'e')`,
		`CREATE TABLE result AS SELECT customer_id, (['a', 'b', 'c', 'd', 'e'][(1 + hash(customer_id * 11) % 5)::BIGINT])::segs AS segment
			FROM input WHERE hash(customer_id * 13) % 12 <> 0 ORDER BY customer_id`,
	} {
		if err := db.Exec(ctx, stmt); err != nil {
			b.Fatal(err)
		}
	}
	q := driftQuery{input: "input", result: "result", entity: "customer_id", integerEntity: true}
	cols := []string{"recency_days", "frequency", "monetary"}
	current, err := newDriftBins(ctx, db, q, cols, []string{"number", "number", "number"})
	if err != nil {
		b.Fatal(err)
	}
	binnings := current
	for _, c := range current { // the previous version's: the same columns, edges a little apart
		prev := &methods.DriftBins{Column: c.Column, Kind: c.Kind}
		for _, e := range c.Edges {
			prev.Edges = append(prev.Edges, e*1.05+0.5)
		}
		binnings = append(binnings, prev)
	}
	return db, binnings
}
