package cli

import (
	"context"

	"github.com/segrun/segrun/schema"
)

func runSchema(_ context.Context, e *env, args []string) int {
	fs := newFlags("schema", "")
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return fs.usageError(e, "schema takes no arguments")
	}
	if _, err := e.stdout.Write(schema.JSON()); err != nil {
		return e.fail(err)
	}
	return ExitOK
}
