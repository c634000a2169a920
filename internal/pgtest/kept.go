package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
)

// StartShardedIn starts the sharded fixture with its three clusters kept in dir (dir/coordinator,
// dir/shard0, dir/shard1) rather than in temporary directories, for benchmarks that load millions of
// rows once and measure many times (scripts/bench_engines): a first call initdb's them and creates the
// sharded schema (fresh is true); a later one starts the same clusters again, on new ports, which it
// gives the coordinator's foreign servers. Stop the servers with Halt, which keeps the files; Stop
// would remove them.
func StartShardedIn(dir string) (sh *Sharded, fresh bool, err error) {
	names := []string{"coordinator"}
	for i := range ShardCount {
		names = append(names, fmt.Sprintf("shard%d", i))
	}
	servers := make([]*Server, len(names))
	_, statErr := os.Stat(filepath.Join(dir, names[0], "data", "PG_VERSION"))
	fresh = statErr != nil
	for i, name := range names {
		s, err := locateServer()
		if err != nil {
			return nil, false, err
		}
		s.dir = filepath.Join(dir, name)
		if err := keptDir(s); err != nil {
			return nil, false, err
		}
		servers[i] = s
	}
	if fresh {
		for _, s := range servers {
			os.RemoveAll(filepath.Join(s.dir, "data")) // a half-made cluster of an interrupted first call
		}
		if err := servers[0].initdb(); err != nil {
			return nil, false, err
		}
		for _, s := range servers[1:] {
			if out, err := s.runAsOwner("cp", "-a", filepath.Join(servers[0].dir, "data"), filepath.Join(s.dir, "data")); err != nil {
				return nil, false, fmt.Errorf("copying the initdb'd cluster: %v\n%s", err, out)
			}
		}
	}
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.startKept()
		}()
	}
	wg.Wait()
	sh = &Sharded{Coordinator: servers[0], Shards: servers[1:]}
	if err := errors.Join(errs...); err != nil {
		sh.Halt()
		return nil, false, err
	}
	ctx := context.Background()
	if fresh {
		err = sh.setup(ctx)
	} else {
		var stmts []string
		for i, s := range sh.Shards {
			u, perr := url.Parse(s.DSN)
			if perr != nil {
				return nil, false, perr
			}
			stmts = append(stmts, fmt.Sprintf("ALTER SERVER shard%d OPTIONS (SET port %s)", i, fdwLiteral(u.Port())))
		}
		err = Exec(ctx, sh.Coordinator.DSN, stmts...)
	}
	if err != nil {
		sh.Halt()
		return nil, false, err
	}
	return sh, fresh, nil
}

// keptDir makes a kept server's directory, owned by the user the server runs as.
func keptDir(s *Server) error {
	// The parents must let the server's user through (MkdirAll would give them the last one's mode).
	if err := os.MkdirAll(filepath.Dir(s.dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(s.dir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if s.user == "" {
		return nil
	}
	u, err := user.Lookup(s.user)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(s.dir, uid, gid)
}

// startKept starts the cluster in the server's directory on a free loopback port, leaving the directory
// as it is if that fails (start, for a throwaway server, removes it).
func (s *Server) startKept() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	data := filepath.Join(s.dir, "data")
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, s.dir)
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "120", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return fmt.Errorf("pg_ctl start %s: %v\n%s\n%s", s.dir, err, out, log)
	}
	s.DSN = fmt.Sprintf("postgres://segrun@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
}

// Halt stops the fixture's servers and keeps their files (StartShardedIn's clusters).
func (sh *Sharded) Halt() {
	for _, s := range append([]*Server{sh.Coordinator}, sh.Shards...) {
		if s != nil && s.DSN != "" {
			s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "-t", "600", "stop")
		}
	}
}

// DataDir is the server's cluster directory (its postmaster.pid, its files).
func (s *Server) DataDir() string { return filepath.Join(s.dir, "data") }
