// Command sqlbare times DuckDB running a query bare: the floor segrun's SQL stage is measured against by
// make bench (scripts/bench_pipeline.py). It prints the seconds the statement took.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/segrun/segrun/sql"
)

func main() {
	query := flag.String("query", "", "the statement to time")
	threads := flag.Int("threads", 0, "DuckDB threads (default: one per CPU)")
	flag.Parse()
	ctx := context.Background()
	db, err := sql.Open(ctx, "", sql.Options{Threads: *threads})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	defer db.Close()
	start := time.Now()
	if err := db.Exec(ctx, *query); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%.3f\n", time.Since(start).Seconds())
}
