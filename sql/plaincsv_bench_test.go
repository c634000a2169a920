package sql

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkPlainCSVParse parses one chunk of order lines like the benchmark's (customer_id, order_id,
// ordered_at, amount) on one goroutine: the plain reader's cost per byte, without I/O or DuckDB.
func BenchmarkPlainCSVParse(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for i := 0; sb.Len() < chunkBytes-100; i++ {
		fmt.Fprintf(&sb, "%d,%d,2024-%02d-%02d %02d:%02d:%02d,%d.%02d\n", 1+i/9, 1+i, 1+rng.IntN(12), 1+rng.IntN(28),
			rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(500), rng.IntN(100))
	}
	buf := []byte(sb.String())
	cols := []Column{{Name: "customer_id", Type: "BIGINT"}, {Name: "order_id", Type: "BIGINT"}, {Name: "ordered_at", Type: "TIMESTAMP"}, {Name: "amount", Type: "DOUBLE"}}
	p, why := PlainCSVFor([]string{"orders.csv"}, pinnedOptions(cols, false))
	if p == nil {
		b.Fatal(why)
	}
	r := p.Reader([]string{"orders.csv"}, 1)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		rec, _, err := r.parse(job{file: "orders.csv", buf: buf})
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}
