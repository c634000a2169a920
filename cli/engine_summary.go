package cli

import (
	"fmt"
	"io"

	"github.com/segrun/segrun/runner"
)

// writeEngine prints the run's one line about its engine (engine postgres): the time in the server
// against segrun's, and what crossed the network.
func writeEngine(w io.Writer, r *runner.Result) {
	e := r.Engine
	if e == nil {
		return
	}
	fmt.Fprintf(w, "engine %s: %.2fs in the server, %.2fs in segrun; pulled %s rows / %s", e.Name, e.ServerSeconds,
		e.SegrunSeconds, thousands(e.RowsPulled), megabytes(e.BytesPulled))
	if e.RowsPushed > 0 {
		fmt.Fprintf(w, ", pushed %s rows", thousands(e.RowsPushed))
	}
	fmt.Fprintf(w, ", sent %s in %s statements\n", megabytes(e.BytesPushed), thousands(e.Statements))
}

// megabytes is n bytes in decimal megabytes, one decimal (0.1 MB at least, for any bytes at all).
func megabytes(n int64) string {
	if n > 0 && n < 100_000 {
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
