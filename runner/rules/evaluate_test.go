package rules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestFirstMatchElseAndNullCounts(t *testing.T) {
	env := &Env{Columns: colsOf("recency_days BIGINT", "frequency BIGINT"), Vars: []Var{{Name: AsOf, Value: time.Now()}}}
	rs, err := Compile([]Rule{
		{Segment: "recent", When: "recency_days <= 30"},
		{Segment: "frequent", When: "frequency >= 5"},
	}, "rest", false, env)
	if err != nil {
		t.Fatal(err)
	}
	// rows: recent; frequent (not recent); NULL recency but frequent; NULL recency, NULL frequency; neither
	rec := int64Batch(t, []string{"recency_days", "frequency"}, [][]*int64{
		{p(10), p(100), nil, nil, p(100)},
		{p(9), p(6), p(7), nil, p(1)},
	})
	results, stats, err := rs.Evaluate(context.Background(), []arrow.RecordBatch{rec}, []int{0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{0, 1, 1, 2, 2}
	for i, c := range results[0].Codes {
		if c != want[i] {
			t.Errorf("row %d: code %d, want %d", i, c, want[i])
		}
	}
	// Rule 1 skipped rows 3 and 4 for NULL recency; rule 2 was reached by row 4 only with NULL frequency.
	if stats.NullSkipped[0] != 2 || stats.NullSkipped[1] != 1 {
		t.Errorf("null skipped %v, want [2 1]", stats.NullSkipped)
	}
	if stats.Matched[0] != 1 || stats.Matched[1] != 2 || stats.Evaluations != 10 {
		t.Errorf("matched %v evaluations %d", stats.Matched, stats.Evaluations)
	}
}

func TestMultiAssignsEveryMatch(t *testing.T) {
	env := &Env{Columns: colsOf("a BIGINT"), Vars: []Var{{Name: AsOf, Value: time.Now()}}}
	rs, err := Compile([]Rule{{Segment: "big", When: "a > 10"}, {Segment: "even", When: "a % 2 == 0"}}, "", true, env)
	if err != nil {
		t.Fatal(err)
	}
	rec := int64Batch(t, []string{"a"}, [][]*int64{{p(12), p(11), p(4), p(3), nil}})
	results, _, err := rs.Evaluate(context.Background(), []arrow.RecordBatch{rec}, []int{0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{3, 1, 2, 0, 0}; fmt.Sprint(results[0].Sets) != fmt.Sprint(want) {
		t.Errorf("sets %v, want %v", results[0].Sets, want)
	}
}

func p(v int64) *int64 { return &v }

func int64Batch(t *testing.T, names []string, cols [][]*int64) arrow.RecordBatch {
	t.Helper()
	var fields []arrow.Field
	for _, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for c, vals := range cols {
		for _, v := range vals {
			if v == nil {
				b.Field(c).AppendNull()
			} else {
				b.Field(c).(*array.Int64Builder).Append(*v)
			}
		}
	}
	return b.NewRecordBatch()
}
