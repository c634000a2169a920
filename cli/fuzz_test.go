package cli

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzArgs drives every command with argument vectors made from the fuzzer's bytes (split on NUL or
// newline), in a directory holding a valid spec, its data and a store with one version: no command line
// may panic, and every exit code must be one of the documented ones.
//
// Kept fast by keeping run from computing a pipeline: an --as-of before the store's version is appended,
// which run refuses (exit 1) before it executes anything, after parsing and checking every flag and
// validating the spec; demo gets a small dataset the same way. The flags given before still meet all
// the checks.
func FuzzArgs(f *testing.F) {
	dir := f.TempDir()
	var out, errOut bytes.Buffer
	if code := Run([]string{"init", "--dir", dir, "shop"}, &out, &errOut); code != ExitOK {
		f.Fatalf("init: %s", errOut.String())
	}
	if code := Run([]string{"run", filepath.Join(dir, "shop.yaml"), "--as-of", "2024-06-30", "--run-key", "k"}, &out, &errOut); code != ExitOK {
		f.Fatalf("first run: %s", errOut.String())
	}
	f.Chdir(dir)
	for _, seed := range []string{
		"validate\nshop.yaml",
		"validate\x00--no-data\x00--format\x00json\x00shop.yaml",
		"plan\nshop.yaml\n--format\nmermaid",
		"run\nshop.yaml\n--as-of\n\n--threads\n0",
		"run\nshop.yaml\n--var\nactive_days=\n--memory-limit\nlots",
		"run\nshop.yaml\n--run-key\nk\n--wait\n-1s\n--temp-dir\nshop.yaml",
		"run\nshop.yaml\n--dry-run\n--format\njson\n--log-format\njson\n--verbose",
		"runs\n--format\njson",
		"runs\nshop.yaml\n--spec\nshop.yaml",
		"show\nlifecycle\nshop.yaml\n--run\n0",
		"show\nbehaviour\n--store\nsegrun.duckdb\n--format\ncsv",
		"changes\nlifecycle\n--spec\nshop.yaml\n--run\n1\n--wait\n0",
		"export\nlifecycle\n--out\nout/m.parquet\n--changes",
		"export\nlifecycle\n--out\nshop.yaml/x.csv",
		"init\n--dir\nsub\nshop2",
		"demo\n--customers\n-1\nd",
		"report\nshop.yaml\n--segmentation\nlifecycle\n--out\nout/r.html",
		"schema",
		"version",
		"help\nrun",
		"--version",
		"valdiate",
	} {
		f.Add([]byte(seed))
	}
	documented := []int{ExitOK, ExitInvalid, ExitUsage, ExitEnvironment}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Split exactly, keeping empty arguments: they matter (--as-of "").
		args := strings.Split(strings.ReplaceAll(string(data), "\x00", "\n"), "\n")
		if len(args) > 16 {
			return
		}
		for _, a := range args {
			// Commands write where they are told (init, demo, export, run's store): keep them inside the
			// fuzz's directory.
			if strings.HasPrefix(a, "/") || strings.Contains(a, "=/") || strings.Contains(a, "..") {
				return
			}
		}
		if len(args) > 0 {
			switch args[0] {
			case "run":
				args = append(args, "--as-of", "2000-01-01")
			case "demo":
				args = append(args, "--customers", "20")
			}
		}
		var stdout, stderr bytes.Buffer
		code := Run(args, &stdout, &stderr)
		if strings.Contains(stderr.String(), "internal error") {
			t.Fatalf("segrun %q panicked:\n%s", args, stderr.String())
		}
		if !slices.Contains(documented, code) {
			t.Fatalf("segrun %q: exit %d, not a documented code\n%s", args, code, stderr.String())
		}
	})
}
