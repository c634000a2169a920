package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/segrun/segrun/examples"
	"github.com/segrun/segrun/internal/shell"
)

// maxDemoCustomers bounds the demo's dataset: ten million customers write about 90 million orders (several
// GB); more is a typo, not a demo.
const maxDemoCustomers = 10_000_000

func runDemo(_ context.Context, e *env, args []string) int {
	fs := newFlags("demo", "DIR")
	customers := fs.Int("customers", examples.DefaultRetailCustomers, "`N` customers (about 9 orders each), 1 to 10,000,000")
	fs.check("customers", func() error {
		if *customers < 1 || *customers > maxDemoCustomers {
			return fmt.Errorf("want a number of customers from 1 to %d", maxDemoCustomers)
		}
		return nil
	})
	seed := fs.Uint64("seed", examples.DefaultRetailSeed, "`S`, the seed: the same seed writes the same data")
	dirs, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	if len(dirs) != 1 {
		return fs.usageError(e, "give the directory to write into")
	}
	dir := dirs[0]
	stats, err := examples.GenerateRetail(filepath.Join(dir, "data"), examples.RetailOptions{Customers: *customers, Seed: *seed})
	if err != nil {
		return e.fail(err)
	}
	campaign, err := examples.GenerateCampaign(filepath.Join(dir, "data"), stats.Customers, *seed)
	if err != nil {
		return e.fail(err)
	}
	src, err := examples.Pipelines.ReadFile(examples.FlagshipSpec)
	if err != nil {
		return e.fail(err)
	}
	specFile := filepath.Join(dir, "retail.yaml")
	if err := os.WriteFile(specFile, src, 0o644); err != nil {
		return e.fail(err)
	}
	fmt.Fprintf(e.stdout, "wrote %d customers, %d orders and %d orders after the win-back campaign to %s, and the flagship spec %s\n",
		stats.Customers, stats.Orders, campaign.Rows, filepath.Join(dir, "data"), specFile)
	fmt.Fprintf(e.stdout, "next: segrun run %s --as-of 2024-09-30\n", shell.Quote(specFile))
	return ExitOK
}
