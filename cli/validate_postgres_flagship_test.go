package cli

import (
	"strings"
	"testing"
)

// The flagship in PostgreSQL's dialect validates without a server: every segmentation it has, the clv one
// included, has an engine form (once refused: "segmentation method clv cannot run on engine postgres").
func TestPostgresFlagshipValidatesOffline(t *testing.T) {
	t.Setenv("SEGRUN_PG_DSN", "")
	_, stderr, code := run(t, "validate", "../examples/pipelines/retail_postgres.yaml")
	if code != ExitOK || strings.Contains(stderr, "error:") {
		t.Fatalf("exit %d, want %d:\n%s", code, ExitOK, stderr)
	}
	if !strings.Contains(stderr, "spec valid") {
		t.Fatalf("no verdict:\n%s", stderr)
	}
}
