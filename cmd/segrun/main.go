// Command segrun validates, plans and runs declarative customer-segmentation pipelines.
package main

import (
	"os"

	"github.com/segrun/segrun/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
