package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/shell"
)

var pipelineName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func runInit(_ context.Context, e *env, args []string) int {
	flags := newFlags("init", "NAME")
	dir := flags.String("dir", ".", "`DIR` to write NAME.yaml and data/ into")
	flags.check("dir", func() error { return checkDirectory(*dir) })
	force := flags.Bool("force", false, "overwrite an existing NAME.yaml")
	names, code, ok := flags.parse(e, args)
	if !ok {
		return code
	}
	if len(names) != 1 {
		return flags.usageError(e, "give the pipeline's name")
	}
	name := names[0]
	if !pipelineName.MatchString(name) {
		return flags.usageError(e, "%q is not a valid pipeline name: use lowercase letters, digits and _, starting with a letter or _", name)
	}
	file := filepath.Join(*dir, name+".yaml")
	if _, err := os.Stat(file); err == nil && !*force {
		e.errorf("%s already exists; use --force to overwrite it", file)
		return ExitInvalid
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return e.fail(err)
	}
	if err := os.WriteFile(file, examples.Starter(name, file), 0o644); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", file)
	data := filepath.Join(*dir, "data")
	if _, err := os.Stat(filepath.Join(data, examples.OrdersFile)); errors.Is(err, fs.ErrNotExist) {
		stats, err := examples.GenerateRetail(data, examples.RetailOptions{Customers: 500})
		if err != nil {
			return e.fail(err)
		}
		fmt.Fprintf(e.stdout, "wrote sample data for it: %d customers, %d orders in %s\n", stats.Customers, stats.Orders, data)
	}
	fmt.Fprintf(e.stdout, "next: segrun validate %s\n", shell.Quote(file))
	return ExitOK
}
