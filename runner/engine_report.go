package runner

import (
	"time"

	"github.com/segrun/segrun/sql/postgres"
)

// EngineReport is what a run on an engine beyond the process (engine postgres) sent and received, and
// how its time split between the server and segrun: Result.Engine, one line of the run's summary.
type EngineReport struct {
	// Name is the engine: "postgres".
	Name string `json:"name"`
	postgres.Traffic
	// SegrunSeconds is the run's time not spent waiting on the server: validation, segrun's own
	// computing (a clustering's fit), and the process's bookkeeping.
	SegrunSeconds float64 `json:"segrun_seconds"`
}

// postgresEngineReport is the run's traffic (the engine's connection and the store's) against its
// seconds (Result.Seconds; since start when the run failed before setting them).
func postgresEngineReport(t postgres.Traffic, seconds float64, start time.Time) *EngineReport {
	if seconds == 0 {
		seconds = time.Since(start).Seconds()
	}
	return &EngineReport{Name: "postgres", Traffic: t, SegrunSeconds: max(seconds-t.ServerSeconds, 0)}
}
