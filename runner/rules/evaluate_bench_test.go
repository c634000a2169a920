package rules

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkRuleEngine measures rule evaluations per second on one core: the flagship's three rules over
// 2M rows in DuckDB-sized (2048-row) Arrow batches, with one worker. make bench reports it.
func BenchmarkRuleEngine(b *testing.B) {
	const rows, batch = 2_000_000, 2048
	r := rand.New(rand.NewPCG(3, 3))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "recency_days", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "frequency", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "monetary", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	var batches []arrow.RecordBatch
	for done := 0; done < rows; done += batch {
		bb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for range batch {
			bb.Field(0).(*array.Int64Builder).Append(int64(r.IntN(730)))
			bb.Field(1).(*array.Int64Builder).Append(int64(1 + r.IntN(40)))
			bb.Field(2).(*array.Float64Builder).Append(r.Float64() * 5000)
		}
		batches = append(batches, bb.NewRecordBatch())
		bb.Release()
	}
	env := &Env{Columns: colsOf("recency_days BIGINT", "frequency BIGINT", "monetary DOUBLE"),
		Vars: []Var{{Name: "active_days", Value: int64(90)}, {Name: AsOf, Value: time.Now()}}}
	rs, err := Compile([]Rule{
		{Segment: "champions", When: "recency_days <= 30 && frequency >= 8"},
		{Segment: "at_risk", When: "recency_days > vars.active_days && monetary >= 1000"},
		{Segment: "lapsed", When: "recency_days > 365"},
	}, "regulars", false, env)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var evals int64
	for range b.N {
		_, stats, err := rs.Evaluate(context.Background(), batches, []int{0, 1, 2}, 1)
		if err != nil {
			b.Fatal(err)
		}
		evals += stats.Evaluations
	}
	b.ReportMetric(float64(evals)/b.Elapsed().Seconds()/1e6, "M-evals/s/core")
}
