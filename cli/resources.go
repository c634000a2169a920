package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/segrun/segrun/sql/store"
)

// MaxThreads is the most threads --threads accepts. More would not make a run faster on any machine
// segrun runs on, and DuckDB aborts the whole process (a fatal error in C++, not an error it returns)
// when it cannot start the threads asked for: `--threads 100000` died that way.
const MaxThreads = 1024

func checkThreads(n int) error {
	if n < 1 || n > MaxThreads {
		return fmt.Errorf("want a number of threads from 1 to %d (leave it out for one per CPU)", MaxThreads)
	}
	return nil
}

// memorySize is the form DuckDB's memory_limit takes: a positive number and a unit, decimal (KB, MB,
// GB, TB: powers of 1000) or binary (KiB, MiB, GiB, TiB: powers of 1024), in any case, with or without
// a space. Checked here so that a wrong value is a usage error before anything starts, not a failure of
// the run after validation.
var memorySize = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(?i:(kb|mb|gb|tb|kib|mib|gib|tib))\s*$`)

// MinMemoryLimit is the least --memory-limit accepts, in bytes (64MB). Below it DuckDB cannot even
// prepare the store (`--memory-limit 1KB` failed out of memory after validation, and left a store file
// without segrun's tables behind).
const MinMemoryLimit = 64_000_000

var memoryUnits = map[string]float64{"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}

func checkMemoryLimit(s string) error {
	m := memorySize.FindStringSubmatch(s)
	if m == nil {
		return errors.New("want a size like 4GB, 512MB or 8GiB (units KB, MB, GB, TB, KiB, MiB, GiB, TiB)")
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil || n*memoryUnits[strings.ToLower(m[2])] < MinMemoryLimit {
		return errors.New("want at least 64MB, like 4GB (DuckDB needs some memory to run at all)")
	}
	return nil
}

// checkFilePath accepts a file, or a path where one can be created: not a directory.
func checkFilePath(path string) error {
	st, err := os.Stat(path)
	if err == nil && st.IsDir() {
		return errors.New("is a directory, not a file")
	}
	return nil
}

// checkDirectory accepts a directory, or a path where one can be created: not a file, nor below one
// (s.yaml/sub).
func checkDirectory(path string) error {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		switch {
		case err == nil && st.IsDir():
			return nil
		case err == nil && p == filepath.Clean(path):
			return errors.New("is a file, not a directory")
		case err == nil:
			return fmt.Errorf("%s is a file, not a directory", p)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// checkStorePath accepts a store's path: a file that does not exist yet, or a DuckDB file. A spec given
// as --store (segrun measure --store retail.yaml) got DuckDB's "not a valid DuckDB database file" with
// exit 3, as if the store were damaged.
func checkStorePath(path string) error {
	if schema, ok := store.PostgresSchema(path); ok {
		return checkStoreSchema(schema)
	}
	if err := checkFilePath(path); err != nil || path == "" {
		return err
	}
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
		return errors.New("is a spec, not a store: give the spec as the last argument (or --spec) and --store the DuckDB file a run publishes to, or postgres:SCHEMA")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil // missing: the command says whether it may be created
	}
	defer f.Close()
	head := make([]byte, 12)
	if n, _ := io.ReadFull(f, head); n > 0 && (n < len(head) || string(head[8:12]) != "DUCK") { // empty: a store being created
		return errors.New("is not a DuckDB file: --store takes the store a run publishes to (segrun.duckdb by default)")
	}
	return nil
}
