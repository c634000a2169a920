package rfm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/internal/enginetest"
)

// rfmCase is a generated input: recency as DOUBLE PRECISION (NaN, NULL, -0 and heavy ties among
// whole days), frequency as BIGINT (NULLs, a large tie at 1), monetary as DECIMAL(12,2).
type rfmCase struct {
	name string
	rows [][]any
	// the values as Go reads them (NULL and NaN as NaN, decimals to the nearest double)
	r, f, m []float64
}

func makeRFMCase(name string, n int, seed uint64, distinct int, missing float64) rfmCase {
	rng := rand.New(rand.NewPCG(seed, 7))
	c := rfmCase{name: name}
	for i := range n {
		var row = []any{int64(i + 1), nil, nil, nil}
		rv, fv, mv := math.NaN(), math.NaN(), math.NaN()
		switch x := rng.Float64(); {
		case x < missing/2:
			// NULL
		case x < missing:
			row[1] = math.NaN()
		default:
			rv = float64(rng.IntN(distinct))
			if rv == 0 && rng.IntN(2) == 0 {
				rv = math.Copysign(0, -1) // -0 ties with 0 in Go's comparisons
			}
			row[1] = rv
		}
		if rng.Float64() >= missing {
			fv = float64(1 + rng.IntN(distinct)*rng.IntN(2)) // about half are 1: a tie spanning bins
			row[2] = int64(fv)
		}
		if rng.Float64() >= missing {
			s := strconv.FormatFloat(float64(rng.IntN(distinct*100))/100, 'f', 2, 64)
			mv, _ = strconv.ParseFloat(s, 64)
			row[3] = mv
		}
		c.rows = append(c.rows, row)
		c.r, c.f, c.m = append(c.r, rv), append(c.f, fv), append(c.m, mv)
	}
	return c
}

var rfmColumns = []string{"id BIGINT", "rec DOUBLE PRECISION", "freq BIGINT", "mon DECIMAL(12,2)"}

// The scores and grid segments computed by SQL on DuckDB and on PostgreSQL equal algorithms.RFMScores
// and RFMSegmentOf on the same values, for every bin count, with ties, NULLs, NaN, -0, a single row,
// constant columns and an all-NULL column.
func TestScoresSQLEqualsGo(t *testing.T) {
	cases := []rfmCase{
		makeRFMCase("ties", 1500, 1, 7, 0.1),
		makeRFMCase("spread", 1000, 2, 100000, 0.05),
		makeRFMCase("one_row", 1, 3, 5, 0),
		makeRFMCase("constant", 50, 4, 1, 0),
		makeRFMCase("all_missing", 20, 5, 5, 1.01),
	}
	for _, e := range enginetest.Both(t) {
		for _, c := range cases {
			table := "rfm_" + c.name
			e.Load(t, table, rfmColumns, c.rows)
			for bins := 2; bins <= 10; bins++ {
				t.Run(fmt.Sprintf("%s/%s/bins=%d", e.Name, c.name, bins), func(t *testing.T) {
					r, f, m, err := algorithms.RFMScores(c.r, c.f, c.m, bins)
					if err != nil {
						t.Fatal(err)
					}
					scores, err := ScoresSQL(table, "id", "rec", "freq", "mon", bins)
					if err != nil {
						t.Fatal(err)
					}
					grid, _ := algorithms.RFMGridFor(bins)
					gridCase, err := GridCaseSQL(bins, "unscored")
					if err != nil {
						t.Fatal(err)
					}
					got := e.Query(t, SegmentsSQL(scores, "id", gridCase))
					if len(got) != len(c.rows) {
						t.Fatalf("%d rows, want %d", len(got), len(c.rows))
					}
					wrong := 0
					for _, row := range got {
						i := int(row[0].(int64)) - 1
						want := []any{score(r[i]), score(f[i]), score(m[i])}
						seg := "unscored"
						if r[i] > 0 && f[i] > 0 && m[i] > 0 {
							seg = algorithms.RFMSegmentOf(grid, r[i], f[i], m[i])
						}
						if fmt.Sprint(row[1:]) != fmt.Sprint(append([]any{seg}, want...)) {
							if wrong++; wrong <= 5 {
								t.Errorf("id %d (rec %v, freq %v, mon %v): SQL gives %v, Go %v %v", i+1, c.r[i], c.f[i], c.m[i], row[1:], seg, want)
							}
						}
					}
					if wrong > 0 {
						t.Errorf("%d of %d rows differ", wrong, len(got))
					}
				})
			}
		}
	}
}

// score is a Go score as SQL gives it: NULL for the missing value's 0.
func score(s int) any {
	if s == 0 {
		return nil
	}
	return int64(s)
}

// Without an else segment, rows with a missing score are left out, as the rule engine leaves them.
func TestSegmentsSQLLeavesUnscoredRowsOut(t *testing.T) {
	e := enginetest.DuckDB(t)
	c := makeRFMCase("some_missing", 200, 9, 5, 0.2)
	e.Load(t, "rfm", rfmColumns, c.rows)
	r, f, m, _ := algorithms.RFMScores(c.r, c.f, c.m, 5)
	want := 0
	for i := range r {
		if r[i] > 0 && f[i] > 0 && m[i] > 0 {
			want++
		}
	}
	scores, _ := ScoresSQL("rfm", "id", "rec", "freq", "mon", 5)
	gridCase, _ := GridCaseSQL(5, "")
	if got := len(e.Query(t, SegmentsSQL(scores, "id", gridCase))); got != want || want == len(r) {
		t.Fatalf("%d rows segmented, want %d of %d", got, want, len(r))
	}
}

// ±Inf is counted and named as RFMScores names it.
func TestInfinitiesSQL(t *testing.T) {
	for _, e := range enginetest.Both(t) {
		e.Load(t, "rfm_inf", rfmColumns, [][]any{{1, 1.0, 2, 3.0}, {2, math.Inf(-1), 2, 3.0}, {3, math.Inf(1), nil, 3.0}, {4, math.NaN(), 2, nil}})
		row := e.Query(t, InfinitiesSQL("rfm_inf", "rec", "freq", "mon"))[0]
		counts := [3]int64{row[0].(int64), row[1].(int64), row[2].(int64)}
		if counts != [3]int64{2, 0, 0} {
			t.Fatalf("%s: counts %v", e.Name, counts)
		}
		err := InfinitiesError("rec", "freq", "mon", counts)
		_, _, _, goErr := algorithms.RFMScores([]float64{1, math.Inf(-1), math.Inf(1), math.NaN()}, []float64{2, 2, 2, 2}, []float64{3, 3, 3, 3}, 5)
		var de *algorithms.DataError
		if !errors.As(goErr, &de) || err == nil {
			t.Fatalf("%s: %v / %v", e.Name, err, goErr)
		}
		de.Column = "rec"
		if err.Error() != de.Error() {
			t.Fatalf("%s: %q, Go says %q", e.Name, err, de)
		}
	}
}
