package runner

// The built-in segmentation methods register themselves (runner/methods) from their packages' init.
import (
	_ "github.com/segrun/segrun/runner/methods/cluster"
	_ "github.com/segrun/segrun/runner/methods/clv"
	_ "github.com/segrun/segrun/runner/methods/rfm"
	_ "github.com/segrun/segrun/runner/methods/rules"
)
