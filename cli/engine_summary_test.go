package cli

import (
	"strings"
	"testing"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/sql/postgres"
)

// A run on engine postgres says, before its total, where its time went and what crossed the network; a
// run on DuckDB has no such line.
func TestRunSummaryHasTheEngineLine(t *testing.T) {
	r := &runner.Result{Pipeline: "p", Outcome: runner.OutcomePublished, Seconds: 44.3, Engine: &runner.EngineReport{Name: "postgres",
		Traffic:       postgres.Traffic{RowsPulled: 12345, BytesPulled: 1_300_000, BytesPushed: 98_765, Statements: 149, ServerSeconds: 41.2},
		SegrunSeconds: 3.1}}
	var b strings.Builder
	writeRunSummary(&b, r)
	want := "engine postgres: 41.20s in the server, 3.10s in segrun; pulled 12,345 rows / 1.3 MB, sent 98.8 kB in 149 statements\ntotal 44.30s\n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("summary ends\n%s\nwant\n%s", b.String(), want)
	}
	r.Engine = nil
	b.Reset()
	writeRunSummary(&b, r)
	if strings.Contains(b.String(), "engine") {
		t.Errorf("a run without an engine report printed one:\n%s", b.String())
	}
}
