package runner

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/sql"
)

// Above driftSampleRows rows, a number's deciles come from a seeded sample: the same edges on every run
// and at every thread count, each within a small fraction of a decile of the exact one; and the shares
// counted in them, so the PSI, are the same too. Below it, they are the exact deciles
// (TestDriftAndStabilityMatchNumpyAndScikitLearn holds them to numpy's).
func TestDriftDecilesFromASampleAboveItsSize(t *testing.T) {
	ctx := context.Background()
	const n = 3 * driftSampleRows
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// x is uniform on [0, n): its exact deciles are 0.1 n ... 0.9 n (up to interpolation). The input is
	// written in a shuffled order, the result in another.
	for _, stmt := range []string{
		fmt.Sprintf("CREATE TABLE input AS SELECT i AS customer_id, ((i * 7919) %% %d)::DOUBLE AS x FROM range(%d) t(i) ORDER BY hash(i)", n, n),
		"CREATE TYPE segs AS ENUM ('a', 'b', 'c')",
		"CREATE TABLE result AS SELECT customer_id, (['a', 'b', 'c'][(1 + customer_id % 3)::BIGINT])::segs AS segment FROM input WHERE customer_id % 7 <> 0 ORDER BY customer_id",
	} {
		if err := db.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	q := driftQuery{input: "input", result: "result", entity: "customer_id", integerEntity: true}
	var edges [][]float64
	var psis []string
	for _, threads := range []int{1, 2, 4, 1} {
		if err := db.Exec(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
			t.Fatal(err)
		}
		bins, err := newDriftBins(ctx, db, q, []string{"x"}, []string{"number"})
		if err != nil {
			t.Fatal(err)
		}
		edges = append(edges, bins[0].Edges)
		// This version's shares on its own bins and on a previous version's (edges a little apart).
		prev := &methods.DriftBins{Column: "x", Kind: "number"}
		for _, e := range bins[0].Edges {
			prev.Edges = append(prev.Edges, e*0.97)
		}
		shares, err := driftShares(ctx, db, q, []*methods.DriftBins{bins[0], prev})
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("rows %d, PSI %v", shares[1].Rows, psi(shares[0].Shares, shares[1].Shares))
		for _, seg := range sortedKeys(shares[1].Segments) {
			got += fmt.Sprintf(", %s %d %v", seg, shares[1].Segments[seg].Rows, psi(shares[0].Segments[seg].Shares, shares[1].Segments[seg].Shares))
		}
		psis = append(psis, got)
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
			t.Errorf("run %d's edges %v differ from the first's %v: the sample is not repeatable across threads", i+1, edges[i], edges[0])
		}
		if psis[i] != psis[0] {
			t.Errorf("run %d's PSIs (%s) differ from the first's (%s)", i+1, psis[i], psis[0])
		}
	}
	if psis[0] == "" || !strings.Contains(psis[0], ", c ") {
		t.Errorf("PSIs %q: every segment should be there", psis[0])
	}
}
