// Package pgtest gives tests a real PostgreSQL server: the one SEGRUN_PG_DSN names, or else a throwaway
// cluster initdb'd in a temporary directory and started on a free loopback port, stopped when the test
// (or the package's TestMain) ends. Destinations that write to PostgreSQL are tested against a real
// server because what matters there (transactions, COPY, ON CONFLICT, a killed connection) is the
// server's behaviour, which a fake would only restate.
package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// EnvDSN names the environment variable of an existing server to test against instead of starting one.
const EnvDSN = "SEGRUN_PG_DSN"

// BinDirs are where PostgreSQL's server binaries are looked for, Debian's first; PATH is tried last.
var BinDirs = []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"}

// Server is a running test server.
type Server struct {
	// DSN connects as a superuser to the database "postgres".
	DSN  string
	dir  string
	bin  string
	user string // the unprivileged user the server runs as when the tests run as root
	once sync.Once
}

// TB is the part of testing.TB the helper needs (testing.M has none, so Start takes it apart).
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// New returns a server for one test, stopped at its end. Without PostgreSQL's binaries it skips, or
// fails when CI=true: CI installs them (.ci/run), so their absence there is a broken machine.
func New(t TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		if IsMissing(err) && os.Getenv("CI") != "true" {
			t.Skipf("pgtest: %v (set %s to test against a server of your own)", err, EnvDSN)
		}
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// missingError says PostgreSQL's binaries are not installed.
type missingError struct{ what string }

func (e missingError) Error() string { return e.what }

// IsMissing reports whether err is Start's "PostgreSQL is not installed".
func IsMissing(err error) bool { _, ok := err.(missingError); return ok }

// Start starts a server (or uses SEGRUN_PG_DSN's); the caller stops it.
func Start() (*Server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return &Server{DSN: dsn}, nil
	}
	return startServer()
}

// startServer initdb's and starts a server of its own.
func startServer() (*Server, error) {
	s, err := newServer()
	if err != nil {
		return nil, err
	}
	if err := s.initdb(); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// newServer finds PostgreSQL's binaries and makes the server's temporary directory, owned by the user
// it will run as and marked with this process as its owner. Servers that earlier test processes left
// behind when they crashed are stopped first (sweepLeaked).
func newServer() (*Server, error) {
	s, err := locateServer()
	if err != nil {
		return nil, err
	}
	sweepOnce.Do(func() { sweepLeaked(s) })
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	s.dir = dir
	if err := writeOwner(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if s.user != "" {
		u, err := user.Lookup(s.user)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	return s, nil
}

// locateServer finds PostgreSQL's binaries and the user a server runs as, without a directory yet.
func locateServer() (*Server, error) {
	bin := ""
	for _, d := range BinDirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			bin = d
			break
		}
	}
	if bin == "" {
		p, err := exec.LookPath("initdb")
		if err != nil {
			return nil, missingError{"PostgreSQL's initdb is not installed (apt-get install postgresql)"}
		}
		bin = filepath.Dir(p)
	}
	s := &Server{bin: bin}
	// postgres refuses to run as root: as root, the cluster belongs to (and the server runs as) the
	// postgres user Debian's package creates.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run the server as: %v", err)
		}
		s.user = u.Username
	}
	return s, nil
}

// initdb makes the cluster in the server's directory (removed if that fails).
func (s *Server) initdb() error {
	if out, err := s.run("initdb", "-D", filepath.Join(s.dir, "data"), "-U", "segrun", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		s.cleanDir()
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return nil
}

// start starts the server of the cluster in its directory on a free loopback port (the directory is
// removed if that fails).
func (s *Server) start() error {
	if err := s.startKept(); err != nil {
		s.cleanDir()
		return err
	}
	return nil
}

// Stop stops the server it started (an SEGRUN_PG_DSN server is left alone) and removes its files.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.dir == "" {
			return
		}
		s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
		s.cleanDir()
	})
}

func (s *Server) cleanDir() { os.RemoveAll(s.dir) }

// run runs one of PostgreSQL's binaries, as the postgres user when the tests run as root.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.user != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.user, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return bytes.TrimSpace(out.Bytes()), err
}

// freePort asks the kernel for a loopback port no one listens on. Another process could take it before
// postgres binds it; pg_ctl then fails with the log saying so, which is rare enough for tests.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr := l.Addr().String()
	return strconv.Atoi(addr[strings.LastIndex(addr, ":")+1:])
}
