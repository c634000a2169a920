package cli

import (
	"context"

	"github.com/segrun/segrun/runner"
	"github.com/segrun/segrun/spec"
)

func runPlan(ctx context.Context, e *env, args []string) int {
	fs := newFlags("plan", "SPEC")
	format := fs.choice("format", "text", runner.PlanFormats, "output: text, dot (Graphviz), mermaid or json")
	noData := fs.Bool("no-data", false, "plan without reading data files (see segrun validate --help)")
	files, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(files) != 1 {
		return fs.usageError(e, "give exactly one spec")
	}
	v, err := runner.Validate(ctx, files[0], runner.ValidateOptions{NoData: *noData})
	if err != nil {
		return e.fail(err)
	}
	w := &spec.Writer{}
	w.WriteText(e.stderr, v.Diagnostics)
	if !v.Valid() {
		return invalidSpecExit(v.Diagnostics)
	}
	if err := v.Plan.Write(e.stdout, *format); err != nil {
		return e.fail(err)
	}
	return ExitOK
}
