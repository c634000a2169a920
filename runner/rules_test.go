package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/segrun/segrun/spec"
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
	env := &RuleEnv{Columns: ruleTestCols, Vars: []Var{
		{Name: "active_days", Value: int64(90), Type: "BIGINT"},
		{Name: "threshold", Value: 800.0, Type: "DOUBLE"},
		{Name: AsOfVar, Value: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), Type: "DATE"},
	}}
	r := rand.New(rand.NewPCG(1, 2))
	batches := []arrow.RecordBatch{ruleTestBatch(r, 3000), ruleTestBatch(r, 1), ruleTestBatch(r, 2048)}
	for i, src := range rules {
		rs, err := compileRules([]spec.Rule{{Segment: fmt.Sprintf("s%d", i), When: src}}, "", false, env)
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
func evaluateWith(t *testing.T, rs *ruleSet, batches []arrow.RecordBatch, kernels bool) []int16 {
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
		out = append(out, res.codes...)
	}
	return out
}

func TestFirstMatchElseAndNullCounts(t *testing.T) {
	env := &RuleEnv{Columns: colsOf("recency_days BIGINT", "frequency BIGINT"), Vars: []Var{{Name: AsOfVar, Value: time.Now(), Type: "DATE"}}}
	rs, err := compileRules([]spec.Rule{
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
	results, stats, err := rs.evaluateAll(context.Background(), []arrow.RecordBatch{rec}, []int{0, 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{0, 1, 1, 2, 2}
	for i, c := range results[0].codes {
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
	env := &RuleEnv{Columns: colsOf("a BIGINT"), Vars: []Var{{Name: AsOfVar, Value: time.Now(), Type: "DATE"}}}
	rs, err := compileRules([]spec.Rule{{Segment: "big", When: "a > 10"}, {Segment: "even", When: "a % 2 == 0"}}, "", true, env)
	if err != nil {
		t.Fatal(err)
	}
	rec := int64Batch(t, []string{"a"}, [][]*int64{{p(12), p(11), p(4), p(3), nil}})
	results, _, err := rs.evaluateAll(context.Background(), []arrow.RecordBatch{rec}, []int{0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{3, 1, 2, 0, 0}; fmt.Sprint(results[0].sets) != fmt.Sprint(want) {
		t.Errorf("sets %v, want %v", results[0].sets, want)
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

// A rules segmentation without else leaves the entities no rule matched out of its table, for the SQL that
// reads it as well as for the store (the table is written through an Arrow view, whose WHERE DuckDB used
// to drop: TestArrowViewFilters).
// Rules read an ENUM column as text (DuckDB hands it to Arrow dictionary-encoded).
func TestRulesReadEnumColumns(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: |
      select customer_id, (case when sum(amount) >= 400 then 'big' else 'small' end)::ENUM('big', 'small') as size
      from orders group by customer_id
segmentations:
  sized:
    from: spend
    rules:
      - {segment: big_spender, when: "size == 'big'"}
    else: other
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
	expectRows(t, "sized", f.query("SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'sized' ORDER BY entity"),
		`1 "other"`, `2 "other"`, `3 "big_spender"`, `4 "other"`, `5 "other"`)
}

// A segmentation's table holds its segment as an ENUM of its segment names, sorted so that ordering is
// the names' own, single-valued and multi alike; SQL reads it as text.
func TestSegmentationResultsAreEnumsOfTheirSegments(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: select customer_id, sum(amount) as monetary, count(*) as orders from orders group by customer_id
  typed:
    sql: |
      select s.customer_id, typeof(s.segment) as single, typeof(m.segment) as multi,
             s.segment = 'whale' or s.segment like 'm%' as text_compares
      from sized s join tagged m using (customer_id)
    tests:
      - assert: "single = 'ENUM(''minnow'', ''whale'')'"
      - assert: "multi = 'ENUM(''big'', ''frequent'', ''neither'')'"
      - assert: text_compares
segmentations:
  sized:
    from: spend
    rules:
      - {segment: whale, when: "monetary >= 400"}
    else: minnow
  tagged:
    from: spend
    multi: true
    rules:
      - {segment: frequent, when: "orders >= 2"}
      - {segment: big, when: "monetary >= 100"}
    else: neither
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
}

func TestUnmatchedEntitiesAreNotInTheSegmentationTable(t *testing.T) {
	f := newFixture(t, `version: 1
name: shop
entity: customer_id
sources:
  orders:
    path: data/orders.csv
features:
  spend:
    sql: select customer_id, sum(amount) as monetary from orders group by customer_id
  big_spenders:
    sql: select customer_id, segment from big
    tests:
      - not_null: [segment]
      - row_count: {min: 1, max: 1}
segmentations:
  big:
    from: spend
    rules:
      - {segment: big, when: "monetary >= 400"}
  reread:
    from: big_spenders
    rules:
      - {segment: still_big, when: "segment == 'big'"}
`, fixtureOrders)
	f.mustRun("2024-06-01", nil)
	expectRows(t, "reread", f.query("SELECT entity, segment FROM segrun_store.current_memberships WHERE segmentation = 'reread'"), `3 "still_big"`)
}
