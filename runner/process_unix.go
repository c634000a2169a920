//go:build unix

package runner

import (
	"errors"
	"syscall"
)

// processAlive says whether a process with this id exists (signal 0 checks without sending anything;
// EPERM is a process of another user).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processCPU is the CPU time (user and system) the process has used so far, DuckDB's threads included:
// the debug log's measure of a phase on a machine too busy for its wall time to mean much.
func processCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
