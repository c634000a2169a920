package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/segrun/segrun/spec"
)

// flagSet is a command's flags, parsed with positional arguments allowed anywhere (segrun validate
// spec.yaml --no-data), as people type them. Every flag's value is checked when the command line is
// parsed, before the command reads a file or opens a store: a wrong value is a usage error (exit 2) that
// names the flag, never a failure halfway through a run.
type flagSet struct {
	*flag.FlagSet
	// args is the synopsis of the positional arguments ("SPEC", "SEGMENTATION [SPEC]"); the usage line
	// is derived from it and the flags, so that it cannot drift from what the command accepts.
	args string
	// choices holds the allowed values of flags that take one of a list.
	choices map[string][]string
	// checks validate a flag's value when the flag was given.
	checks map[string]func() error
	// required flags are shown without brackets in the usage line.
	required map[string]bool
}

func newFlags(name, args string) *flagSet {
	fs := flag.NewFlagSet("segrun "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, args: args, choices: map[string][]string{}, checks: map[string]func() error{}, required: map[string]bool{}}
}

// choice defines a flag taking one of allowed.
func (f *flagSet) choice(name, value string, allowed []string, usage string) *string {
	p := f.String(name, value, usage)
	f.choices[name] = allowed
	f.check(name, func() error {
		if !slices.Contains(allowed, *p) {
			return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
		}
		return nil
	})
	return p
}

// check registers a validation of a flag's value, run when the flag is given.
func (f *flagSet) check(name string, valid func() error) { f.checks[name] = valid }

// nonNegative defines a duration flag that cannot be negative.
func (f *flagSet) nonNegative(name string, value time.Duration, usage string) *time.Duration {
	p := f.Duration(name, value, usage)
	f.check(name, func() error {
		if *p < 0 {
			return errors.New("want a duration of 0 or more, like 30s or 10m")
		}
		return nil
	})
	return p
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
			break
		}
		if args[0] == "--" {
			positional = append(positional, args[1:]...)
			break
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
	if code := f.validate(e); code != ExitOK {
		return nil, code, false
	}
	// A blank argument is never meant either (`segrun demo "$DIR"` with DIR unset would write into the
	// current directory).
	for i, p := range positional {
		if strings.TrimSpace(p) == "" {
			return nil, f.usageError(e, "argument %d is empty: give a value (an unset variable in the command line?)", i+1), false
		}
	}
	return positional, ExitOK, true
}

// validate checks every flag given: a blank value is never meant (an unset variable in a scheduler's
// command line, `--as-of "$DAY"`), and each flag's own check.
func (f *flagSet) validate(e *env) int {
	code := ExitOK
	f.Visit(func(fl *flag.Flag) {
		if code != ExitOK {
			return
		}
		value := fl.Value.String()
		if g, ok := fl.Value.(flag.Getter); ok {
			if s, isString := g.Get().(string); isString && strings.TrimSpace(s) == "" {
				code = f.usageError(e, "--%s is empty: give a value (an unset variable in the command line?)", fl.Name)
				return
			}
		}
		if valid := f.checks[fl.Name]; valid != nil {
			if err := valid(); err != nil {
				code = f.usageError(e, "--%s %q: %v", fl.Name, value, err)
			}
		}
	})
	return code
}

// usageLine is the command's synopsis, derived from its flags.
func (f *flagSet) usageLine() string {
	parts := []string{f.Name()}
	if f.args != "" {
		parts = append(parts, f.args)
	}
	f.VisitAll(func(fl *flag.Flag) {
		var arg string
		switch {
		case isBool(fl):
			arg = "--" + fl.Name
		case f.choices[fl.Name] != nil:
			arg = "--" + fl.Name + " " + strings.Join(f.choices[fl.Name], "|")
		default:
			valueName, _ := flag.UnquoteUsage(fl)
			arg = "--" + fl.Name + " " + valueName
		}
		if !f.required[fl.Name] {
			arg = "[" + arg + "]"
		}
		if _, repeatable := fl.Value.(interface{ repeatable() }); repeatable {
			arg += "..."
		}
		parts = append(parts, arg)
	})
	return strings.Join(parts, " ")
}

func isBool(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (f *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\nflags:\n", f.usageLine())
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

// usageError prints a usage mistake and returns the usage exit code.
func (f *flagSet) usageError(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "usage: %s\n", f.usageLine())
	return ExitUsage
}

// varFlags collects repeated --var name=value.
type varFlags map[string]string

func (v varFlags) String() string { return "" }

func (v varFlags) repeatable() {}

func (v varFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	if strings.TrimSpace(value) == "" {
		return fmt.Errorf("%q gives %s no value (an unset variable in the command line?)", s, name)
	}
	v[name] = value
	return nil
}

func nearest(word string, candidates []string) string { return spec.Nearest(word, candidates) }

// given says whether flag name was on the command line (not only its default).
func (f *flagSet) given(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}
