// Command sqlbare times DuckDB running a query bare: the floor segrun's SQL stage is measured against by
// make bench (scripts/bench_pipeline.py). It prints the seconds the statement took.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/segrun/segrun/sql"
)

func main() {
	query := flag.String("query", "", "the statement to time")
	// DuckDB's own default, one thread per CPU, not segrun's (sql.DefaultThreads): bare means DuckDB as
	// anyone would run it.
	threads := flag.Int("threads", runtime.NumCPU(), "DuckDB threads")
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
