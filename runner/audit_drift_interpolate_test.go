package runner

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/segrun/segrun/sql"
)

// duckdbInterpolate is DuckDB's quantile_cont to the bit, on lists of money amounts of many sizes (engine
// postgres cuts drift bins with it from the server's order statistics, so both engines' bins are the
// same); the textbook lo + d·(hi - lo), PostgreSQL's percentile_cont, differs for about one decile in six.
func TestDuckDBInterpolation(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	var total, textbook int
	for range 60 {
		n := 2 + rng.IntN(3000)
		vals := make([]float64, n)
		lits := make([]string, n)
		for i := range vals {
			vals[i] = math.Round(rng.ExpFloat64()*50000) / 100
			lits[i] = "(" + strconv.FormatFloat(vals[i], 'g', -1, 64) + "::DOUBLE)"
		}
		if err := db.Exec(ctx, "CREATE OR REPLACE TABLE p AS SELECT * FROM (VALUES "+strings.Join(lits, ",")+") t(x)"); err != nil {
			t.Fatal(err)
		}
		var s string
		if err := db.QueryRow(ctx, "SELECT quantile_cont(x, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])::VARCHAR FROM p").Scan(&s); err != nil {
			t.Fatal(err)
		}
		slices.Sort(vals)
		for k, text := range strings.Split(strings.Trim(s, "[]"), ",") {
			duck, _ := strconv.ParseFloat(strings.TrimSpace(text), 64)
			h := float64(n-1) * driftDeciles[k]
			lo, hi := math.Floor(h), math.Ceil(h)
			a, b := vals[int(lo)], vals[int(hi)]
			if got := duckdbInterpolate(a, h-lo, b, lo == hi); got != duck {
				t.Errorf("n %d, decile %d: %v, DuckDB %v", n, k+1, got, duck)
			}
			total++
			if a+(h-lo)*(b-a) == duck {
				textbook++
			}
		}
	}
	if textbook == total {
		t.Errorf("the textbook formula gave DuckDB's %d deciles too: the test does not tell them apart", total)
	}
}
