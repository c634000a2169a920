package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// endedPID is the PID of a process that has run and been reaped.
func endedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A directory is leaked when its owner has ended or its PID now names another process; not when its
// owner runs, nor when it is young and not yet marked.
func TestLeakedJudgesTheOwner(t *testing.T) {
	mark := func(owner string) string {
		dir := t.TempDir()
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	me := os.Getpid()
	for _, c := range []struct {
		name, owner string
		want        bool
	}{
		{"this process", fmt.Sprintf("%d %s\n", me, processStart(me)), false},
		{"an ended process", fmt.Sprintf("%d 12345\n", endedPID(t)), true},
		{"this PID, started at another time", fmt.Sprintf("%d 1\n", me), processStart(me) != "-"},
		{"garbage", "not a pid\n", false},
		{"no owner, just made", "", false},
	} {
		if got := leaked(mark(c.owner)); got != c.want {
			t.Errorf("%s: leaked = %v, want %v", c.name, got, c.want)
		}
	}
	old := mark("")
	then := time.Now().Add(-2 * unownedAge)
	os.Chtimes(old, then, then)
	if !leaked(old) {
		t.Error("a directory with no owner, two hours old, is not leaked")
	}
}

// A server whose test process ended is stopped and removed by the next sweep; a live process's server
// runs on.
func TestSweepStopsTheServersOfEndedProcesses(t *testing.T) {
	live, err := startServer()
	if err != nil {
		if IsMissing(err) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer live.Stop()
	orphan, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	defer orphan.Stop()
	if err := os.WriteFile(filepath.Join(orphan.dir, ownerFile), []byte(fmt.Sprintf("%d 12345\n", endedPID(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepLeaked(live)

	ctx := context.Background()
	if _, err := os.Stat(orphan.dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's directory is still there: %v", err)
	}
	if c, err := pgx.Connect(ctx, orphan.DSN); err == nil {
		c.Close(ctx)
		t.Error("the orphan server still answers after the sweep")
	}
	c, err := pgx.Connect(ctx, live.DSN)
	if err != nil {
		t.Fatalf("the live process's server was stopped: %v", err)
	}
	c.Close(ctx)
	if _, err := os.Stat(live.dir); err != nil {
		t.Errorf("the live server's directory: %v", err)
	}
}
