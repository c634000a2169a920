package postgres

import "github.com/jackc/pgx/v5"

// sessionDefaults are the settings of every session the engine opens (the run's, and the store's),
// sent with the connection's startup message, unless the connection string sets them itself
// (postgres://...?jit=on, or options):
//
//   - jit off: the SQL segrun generates is a few large expressions (a rule set as one CASE, its
//     statistics as dozens of FILTERed counts, a clustering's sample order and assignment as
//     arithmetic), which PostgreSQL's JIT compiles with LLVM once per process, each parallel worker
//     again, in seconds to tens of seconds; run in the interpreter, the same statements take a
//     fraction of that. On the flagship at 1M customers, the value segmentation's rule statistics took
//     46.5 s with JIT and 4.2 s without (BENCHMARKS.md, "The flagship at scale").
var sessionDefaults = map[string]string{"jit": "off"}

// configureSession sets sessionDefaults on cfg where the connection string left them alone.
func configureSession(cfg *pgx.ConnConfig) {
	for k, v := range sessionDefaults {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
}
