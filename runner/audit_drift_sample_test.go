package runner

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/segrun/segrun/sql"
)

// Above driftSampleRows rows, a number's deciles come from a seeded reservoir sample: the same edges on
// every run (and thread count), each within a small fraction of a decile of the exact one. Below it,
// they are the exact deciles (TestDriftAndStabilityMatchNumpyAndScikitLearn holds them to numpy's).
func TestDriftDecilesFromASampleAboveItsSize(t *testing.T) {
	ctx := context.Background()
	const n = 3 * driftSampleRows
	var edges [][]float64
	for _, threads := range []int{1, 2, 2} {
		db, err := sql.Open(ctx, "", sql.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		// x is uniform on [0, n): its exact deciles are 0.1 n ... 0.9 n (up to interpolation).
		if err := db.Exec(ctx, fmt.Sprintf("CREATE TABLE input AS SELECT i AS customer_id, ((i * 7919) %% %d)::DOUBLE AS x FROM range(%d) t(i)", n, n)); err != nil {
			t.Fatal(err)
		}
		bins, err := newDriftBins(ctx, db, driftQuery{input: "input", entity: "customer_id"}, []string{"x"}, []string{"number"})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		edges = append(edges, bins[0].Edges)
	}
	if len(edges[0]) != 9 {
		t.Fatalf("edges %v", edges[0])
	}
	for k, e := range edges[0] {
		exact := float64(k+1) / 10 * (n - 1)
		// 0.5 percentage point of rank: five standard errors of a decile in 100,000 draws.
		if math.Abs(e-exact) > 0.005*n {
			t.Errorf("decile %d: %g from the sample, exact %g", k+1, e, exact)
		}
		if e == exact {
			t.Errorf("decile %d is exact (%g): the sample is not taken", k+1, e)
		}
	}
	for i := 1; i < len(edges); i++ {
		if fmt.Sprint(edges[i]) != fmt.Sprint(edges[0]) {
			t.Errorf("run %d's edges %v differ from the first's %v: the sample is not repeatable", i+1, edges[i], edges[0])
		}
	}
}
