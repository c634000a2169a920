package rules

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var ruleTestCols = colsOf("recency_days BIGINT", "frequency INTEGER", "monetary DOUBLE", "aov DECIMAL(12,2)",
	"country VARCHAR", "vip BOOLEAN", "last_order TIMESTAMP", "signup DATE")

// ruleTestBatch builds random rows with NULLs in every column (and NaNs among the doubles).
func ruleTestBatch(r *rand.Rand, n int) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "recency_days", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "frequency", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "monetary", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "aov", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
		{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "vip", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "last_order", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "signup", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	countries := []string{"GB", "DE", "FR", "", "gb"}
	for range n {
		null := func() bool { return r.IntN(12) == 0 }
		appendOr(b.Field(0).(*array.Int64Builder), null(), func(x *array.Int64Builder) { x.Append(int64(r.IntN(800) - 5)) })
		appendOr(b.Field(1).(*array.Int32Builder), null(), func(x *array.Int32Builder) { x.Append(int32(r.IntN(20))) })
		appendOr(b.Field(2).(*array.Float64Builder), null(), func(x *array.Float64Builder) {
			if r.IntN(25) == 0 {
				x.Append(math.NaN()) // missing to rules, as NULL is
			} else {
				x.Append(r.Float64()*3000 - 100)
			}
		})
		appendOr(b.Field(3).(*array.Decimal128Builder), null(), func(x *array.Decimal128Builder) {
			x.Append(cents(int64(r.IntN(100000))))
		})
		appendOr(b.Field(4).(*array.StringBuilder), null(), func(x *array.StringBuilder) { x.Append(countries[r.IntN(len(countries))]) })
		appendOr(b.Field(5).(*array.BooleanBuilder), null(), func(x *array.BooleanBuilder) { x.Append(r.IntN(2) == 0) })
		appendOr(b.Field(6).(*array.TimestampBuilder), null(), func(x *array.TimestampBuilder) {
			x.Append(arrow.Timestamp(base.Add(time.Duration(r.IntN(400*24)) * time.Hour).UnixMicro()))
		})
		appendOr(b.Field(7).(*array.Date32Builder), null(), func(x *array.Date32Builder) {
			x.Append(arrow.Date32FromTime(base.AddDate(0, 0, r.IntN(400)-200)))
		})
	}
	return b.NewRecordBatch()
}

func appendOr[B interface{ AppendNull() }](b B, null bool, value func(B)) {
	if null {
		b.AppendNull()
	} else {
		value(b)
	}
}

// The kernels must agree with expr's VM on every row, for every construct they cover, NULLs included.
func TestKernelsAgreeWithTheVM(t *testing.T) {
	rules := []string{
		"recency_days <= 30 && frequency >= 8",
		"recency_days > vars.active_days and monetary >= 1000",
		"monetary / frequency > 150.5",
		"frequency * 2 + 1 == 9 || recency_days - 10 < 0",
		"-recency_days > -20",
		"!(vip) && country == 'GB'",
		"not vip or aov > 500",
		"country in ['GB', 'DE'] && frequency not in [1, 2, 3]",
		"frequency in [1, 2.5, 7]",
		"country startsWith 'G' || country endsWith 'R' || country contains 'b'",
		"country < 'FR' && country != ''",
		"last_order < as_of && signup >= as_of",
		"aov ** 0.5 > 10 && monetary + aov > vars.threshold",
		"vip == true && recency_days != vars.active_days",
		"frequency % 3 == 0",                          // not a kernel: the VM evaluates it
		"country matches '^[A-Z]+$' && vip",           // not a kernel
		"(monetary > 100 ? frequency : 0) > 5",        // not a kernel
		"lower(country) == 'gb' && recency_days < 99", // not a kernel
	}
	env := &Env{Columns: ruleTestCols, Vars: []Var{
		{Name: "active_days", Value: int64(90)},
		{Name: "threshold", Value: 800.0},
		{Name: AsOf, Value: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)},
	}}
	r := rand.New(rand.NewPCG(1, 2))
	batches := []arrow.RecordBatch{ruleTestBatch(r, 3000), ruleTestBatch(r, 1), ruleTestBatch(r, 2048)}
	for i, src := range rules {
		rs, err := Compile([]Rule{{Segment: fmt.Sprintf("s%d", i), When: src}}, "", false, env)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		viaKernel := rs.kernelled()[0]
		got := evaluateWith(t, rs, batches, true)
		want := evaluateWith(t, rs, batches, false)
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("%s (kernel %v): row %d: kernel path %v, VM %v", src, viaKernel, j, got[j], want[j])
			}
		}
		if wantKernel := i < 14; viaKernel != wantKernel {
			t.Errorf("%s: evaluated as kernel = %v, want %v", src, viaKernel, wantKernel)
		}
	}
}

// evaluateWith runs the rule set with kernels, or with the VM only, and returns each row's code.
func evaluateWith(t *testing.T, rs *Set, batches []arrow.RecordBatch, kernels bool) []int16 {
	t.Helper()
	pos := make([]int, len(rs.columns))
	for i, c := range rs.columns {
		pos[i] = batches[0].Schema().FieldIndices(c)[0]
	}
	w := rs.newWorker()
	if !kernels {
		clear(w.kernels)
	}
	var out []int16
	for _, b := range batches {
		cols := make([]*vec, len(rs.columns))
		nulls := make([][]bool, len(rs.columns))
		for c := range rs.columns {
			cols[c] = &vec{}
			var err error
			if nulls[c], err = fromArrow(b.Column(pos[c]), rs.kinds[c], cols[c], nil); err != nil {
				t.Fatal(err)
			}
		}
		res, err := w.evaluate(cols, nulls, int(b.NumRows()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Codes...)
	}
	return out
}
