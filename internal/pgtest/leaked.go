package pgtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// tempPrefix begins the name of every throwaway server's directory in the temporary directory.
const tempPrefix = "segrun-pgtest-"

// ownerFile, in a throwaway server's directory, names the process that started the server: its PID
// and its start time (so a PID the kernel has since given to another process does not count).
const ownerFile = "owner"

// unownedAge is how old a server directory without an owner file must be before a sweep takes it:
// a younger one may be a directory another process has just made and not yet marked.
const unownedAge = time.Hour

var sweepOnce sync.Once

// sweepLeaked stops and removes the throwaway servers whose owner process has ended. A test process
// that crashes, or that `go test -timeout` kills, runs none of its cleanups, and its servers would run
// on, each holding memory and a port, until the machine restarts; the next process that starts a server
// takes them down. Servers of live processes (packages testing in parallel) are left alone, and so are
// kept clusters (StartShardedIn), which are not in the temporary directory. loc supplies the binaries
// and the user to stop them with.
func sweepLeaked(loc *Server) (swept []string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		if !leaked(dir) {
			continue
		}
		s := &Server{bin: loc.bin, user: loc.user, dir: dir}
		if _, err := os.Stat(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			s.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		}
		if os.RemoveAll(dir) == nil {
			swept = append(swept, dir)
		}
	}
	return swept
}

// leaked reports whether a throwaway server's directory belongs to a process that has ended.
func leaked(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		fi, serr := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist) && serr == nil && time.Since(fi.ModTime()) > unownedAge
	}
	var pid int
	var start string
	if _, err := fmt.Sscan(string(b), &pid, &start); err != nil || pid <= 0 {
		return false // not ours to judge
	}
	return !processRuns(pid, start)
}

// writeOwner marks dir as this process's.
func writeOwner(dir string) error {
	pid := os.Getpid()
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(fmt.Sprintf("%d %s\n", pid, processStart(pid))), 0o644)
}

// processRuns reports whether process pid runs and is the one that started at start (when the system
// says when processes start; otherwise, whether any process has that PID).
func processRuns(pid int, start string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	now := processStart(pid)
	return start == "-" || now == "-" || now == start
}

// processStart is the process's start time in clock ticks after boot (/proc/PID/stat's 22nd field),
// or "-" where /proc does not say.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "-"
	}
	// The command, field 2, is in parentheses and may hold spaces; the fields after it start at 3.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 20 {
		return "-"
	}
	return f[19]
}
