package cli

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/segrun/segrun/spec"
)

// flagSet is a command's flags, parsed with positional arguments allowed anywhere (segrun validate
// spec.yaml --no-data), as people type them.
type flagSet struct {
	*flag.FlagSet
	usage string
}

func newFlags(name, usage string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet("segrun "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &flagSet{FlagSet: fs, usage: usage}
	return f
}

// parse returns the positional arguments, or a usage exit code (0 for --help, 2 for a mistake).
func (f *flagSet) parse(e *env, args []string) ([]string, int, bool) {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				f.printUsage(e.stdout)
				return nil, ExitOK, false
			}
			fmt.Fprintf(e.stderr, "%s: %v\n", f.Name(), err)
			f.printUsage(e.stderr)
			return nil, ExitUsage, false
		}
		args = f.Args()
		if len(args) == 0 {
			return positional, 0, true
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), 0, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\nflags:\n", f.usage)
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// usageError prints a usage mistake and returns the usage exit code.
func (f *flagSet) usageError(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "usage: %s\n", f.usage)
	return ExitUsage
}

// oneOf checks a flag value against its allowed values.
func (f *flagSet) oneOf(e *env, flagName, value string, allowed []string) bool {
	if slices.Contains(allowed, value) {
		return true
	}
	f.usageError(e, "--%s %q: want one of %s", flagName, value, strings.Join(allowed, ", "))
	return false
}

// varFlags collects repeated --var name=value.
type varFlags map[string]string

func (v varFlags) String() string { return "" }

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	v[name] = value
	return nil
}

func nearest(word string, candidates []string) string { return spec.Nearest(word, candidates) }
