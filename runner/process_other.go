//go:build !unix

package runner

// processAlive cannot tell here, so every process counts as alive and no temporary file is removed.
func processAlive(pid int) bool { return true }
