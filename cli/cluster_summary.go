package cli

import (
	"io"

	"github.com/segrun/segrun/runner"
)

func writeClusterReport(w io.Writer, c *runner.ClusterReport) {}
